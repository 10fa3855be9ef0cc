package awssim

import (
	"encoding/xml"
	"fmt"
)

// STS speaks awsQuery. GetCallerIdentity answers as the DR operator's assumed role, except for requests
// signed with a key of a loaded identity, which STS verifies and answers as that principal.
func init() {
	register(&service{
		name: "sts", anyRegion: true, protocol: queryProtocol{}, xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
		ops: map[string]opFunc{"GetCallerIdentity": stsGetCallerIdentity},
	})
}

type stsIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

func stsGetCallerIdentity(s *Server, c *Call) (any, error) {
	if len(s.identities) > 0 {
		id, err := s.authenticate(c)
		if err != nil {
			return nil, err
		}
		if id != nil {
			return stsIdentityResult{Arn: id.ARN, UserID: id.userID(), Account: id.account()}, nil
		}
	}
	return stsIdentityResult{
		Arn:     fmt.Sprintf("arn:aws:sts::%s:assumed-role/roadcall-dr-operator/awssim", s.world.AccountID),
		UserID:  "AROAAWSSIMOPERATOR:awssim",
		Account: s.world.AccountID,
	}, nil
}
