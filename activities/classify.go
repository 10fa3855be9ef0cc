package activities

// Classify is classify for activities outside this package (internal/reviews' upload): one mapping of AWS
// errors to retryable and non-retryable Temporal errors.
func Classify(err error, op, resource, region string) error {
	return classify(err, op, resource, region)
}
