package awssim

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// SSM speaks awsJson 1.1; of Parameter Store, GetParameter and PutParameter are modeled.
func init() {
	register(&service{
		name: "ssm", target: "AmazonSSM", throttleCode: "ThrottlingException",
		protocol: awsJSON{contentType: "application/x-amz-json-1.1"},
		ops: map[string]opFunc{
			"GetParameter": ssmGetParameter,
			"PutParameter": journaled(inputParam("Name"), ssmPutParameter),
		},
	})
}

func ssmARN(s *Server, region, name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", region, s.world.AccountID, strings.TrimPrefix(name, "/"))
}

func ssmGetParameter(s *Server, c *Call) (any, error) {
	name := c.Input.Str("Name")
	if name == "" {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	// A selector "name:version" asks for one version; only the current one is kept here.
	base, selector := name, ""
	if i := strings.LastIndex(name, ":"); i > 0 && !strings.HasPrefix(name, "arn:") {
		base, selector = name[:i], name[i+1:]
	}
	p := s.world.Regions[c.Region].Parameters[base]
	if p == nil {
		return nil, Errf(400, "ParameterNotFound", "Parameter %s not found in %s.", base, c.Region)
	}
	if selector != "" {
		v, err := strconv.ParseInt(selector, 10, 64)
		if err != nil || v != p.Version {
			return nil, Errf(400, "ParameterVersionNotFound", "Systems Manager could not find version %s of %s in %s. Verify the version and try again.", selector, base, c.Region)
		}
	}
	value := p.Value
	if decrypt, _ := c.Input.Bool("WithDecryption"); p.Type == "SecureString" && !decrypt {
		// Without decryption AWS returns the KMS ciphertext, never the plain value.
		value = base64.StdEncoding.EncodeToString([]byte("awssim-kms:" + stableID(p.Value+strconv.FormatInt(p.Version, 10))))
	}
	return map[string]any{"Parameter": ssmParameterOut(p, value, ssmARN(s, c.Region, p.Name), selector)}, nil
}

func ssmPutParameter(s *Server, c *Call) (any, error) {
	name, value, typ := c.Input.Str("Name"), c.Input.Str("Value"), c.Input.Str("Type")
	for _, f := range []string{"Name", "Value"} {
		if !c.Input.Has(f) {
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", strings.ToLower(f))
		}
	}
	if name == "" || value == "" {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value '' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", map[bool]string{true: "name", false: "value"}[name == ""])
	}
	if typ != "" && typ != "String" && typ != "StringList" && typ != "SecureString" {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", typ)
	}
	overwrite, _ := c.Input.Bool("Overwrite")
	if overwrite && c.Input.Has("Tags") {
		return nil, Errf(400, "ValidationException", "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	params := s.world.Regions[c.Region].Parameters
	p := params[name]
	switch {
	case p == nil:
		if typ == "" {
			return nil, Errf(400, "ValidationException", "A parameter type is required when you create a parameter (%s in %s).", name, c.Region)
		}
		p = &Parameter{Name: name, Type: typ, Value: value, Version: 1, Modified: c.Now}
		params[name] = p
		s.record(c, name, true, "created version 1")
	case !overwrite:
		return nil, Errf(400, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true. (%s in %s)", name, c.Region)
	default:
		if typ == "" {
			typ = p.Type
		}
		// AWS makes a new version on every overwrite, even of the same value; the world itself only
		// changed when the value or type did.
		changed := p.Value != value || p.Type != typ
		p.Value, p.Type, p.Version, p.Modified = value, typ, p.Version+1, c.Now
		s.record(c, name, changed, fmt.Sprintf("version %d", p.Version))
	}
	return map[string]any{"Version": p.Version, "Tier": "Standard"}, nil
}
