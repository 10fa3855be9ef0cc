package awssim

import "time"

// The SSM model: Parameter Store parameters (only the current version of each is kept).

type Parameter struct {
	Name     string    `json:"name"`
	Type     string    `json:"type"`
	Value    string    `json:"value"`
	Version  int64     `json:"version"`
	Modified time.Time `json:"modified"`
}
