package awssim

// SSM wire shapes: awsJson 1.1 outputs built from the model as maps.

// ssmParameterOut is a Parameter as GetParameter returns it: value is what the caller may see (the
// ciphertext of a SecureString read without decryption), selector the version asked for, if any.
func ssmParameterOut(p *Parameter, value, arn, selector string) map[string]any {
	out := map[string]any{
		"Name": p.Name, "Type": p.Type, "Value": value, "Version": p.Version, "LastModifiedDate": p.Modified,
		"ARN": arn, "DataType": "text",
	}
	if selector != "" {
		out["Selector"] = ":" + selector
	}
	return out
}
