package awssim

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/roadcall/dr/internal/iam"
)

// enforce is --enforce-policy: the caller is denied what the policy does not allow, in the error shape
// the service's clients see from IAM. Called with the lock held, after the call is decoded (its resources
// come from its input) and after faults (a region that is out answers nothing, not AccessDenied).
func (s *Server) enforce(svc *service, c *Call) *APIError {
	if s.opts.EnforcePolicy == nil {
		return nil
	}
	// AWS answers sts:GetCallerIdentity whatever the policy says, an explicit Deny included; approvers'
	// presigned tokens reach STS this way too, and their identity is not the worker's.
	if c.Service == "sts" && c.Operation == "GetCallerIdentity" {
		return nil
	}
	action := actionOf(c)
	resources := s.resourcesOf(c)
	if len(resources) == 0 {
		resources = []string{""}
	}
	for _, r := range resources {
		if s.opts.EnforcePolicy.Allows(action, r) {
			continue
		}
		return s.accessDenied(svc, c, action, r)
	}
	return nil
}

// SetEnforcePolicy replaces the enforced policy (nil: allow everything), for tests that take one statement
// away from a running world.
func (s *Server) SetEnforcePolicy(d *iam.Document) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.EnforcePolicy = d
}

// actionOf is the IAM action of a call: the worker's table knows the ones it calls; otherwise the service
// prefix and the operation name, which is how every modeled service but API Gateway names its actions.
func actionOf(c *Call) string {
	if p, ok := iam.Lookup(c.Service, c.Operation); ok {
		return p.Action
	}
	if a, ok := s3Actions[c.Operation]; ok && c.Service == "s3" {
		return a
	}
	switch c.Service {
	case "monitoring":
		return "cloudwatch:" + c.Operation
	case "apigateway":
		// API Gateway's management actions are the HTTP methods on resource paths.
		return "apigateway:" + c.Req.Method
	}
	return c.Service + ":" + c.Operation
}

// s3Actions are the S3 operations awssim models whose IAM action is not their name (Service Authorization
// Reference, "Actions defined by Amazon S3": ListBuckets needs s3:ListAllMyBuckets, HeadBucket s3:ListBucket).
var s3Actions = map[string]string{
	"ListBuckets":          "s3:ListAllMyBuckets",
	"HeadBucket":           "s3:ListBucket",
	"GetBucketReplication": "s3:GetReplicationConfiguration",
}

var accessKeyRE = regexp.MustCompile(`Credential=([^/,]+)/`)

func (s *Server) principal(c *Call) string {
	key := ""
	if m := accessKeyRE.FindStringSubmatch(c.Req.Header.Get("Authorization")); m != nil {
		key = m[1]
	}
	if id, ok := s.identities[key]; ok {
		return id.ARN
	}
	return "arn:aws:sts::" + s.world.AccountID + ":assumed-role/roadcall-dr-operator/" + key
}

// accessDenied builds the service's own refusal, worded as IAM words it.
func (s *Server) accessDenied(svc *service, c *Call, action, resource string) *APIError {
	msg := "User: " + s.principal(c) + " is not authorized to perform: " + action
	if resource != "" {
		msg += " on resource: " + resource
	}
	msg += " because no identity-based policy allows the " + action + " action"
	switch svc.protocol.(type) {
	case queryProtocol:
		if c.Service == "sns" {
			// SNS models its own code, AuthorizationErrorException ("AuthorizationError" on the wire).
			return Errf(403, "AuthorizationError", "%s", msg)
		}
		return Errf(403, "AccessDenied", "%s", msg)
	case ec2Protocol:
		return Errf(403, "UnauthorizedOperation", "You are not authorized to perform this operation. %s", msg)
	case restXML:
		return Errf(403, "AccessDenied", "%s", msg)
	}
	e := Errf(400, "AccessDeniedException", "%s", msg)
	if _, rest := svc.protocol.(restJSON); rest || c.Service == "route53-recovery-cluster" {
		e.Status = 403
	}
	if c.Service == "monitoring" {
		// CloudWatch is awsQueryCompatible: its query-era code travels in X-Amzn-Query-Error.
		e.Status, e.QueryCode = 403, "AccessDenied"
	}
	return e
}

// resourcesOf derives the ARNs a call touches, for the operations whose input names them. A call whose
// resources are not derived here is checked on its action alone.
func (s *Server) resourcesOf(c *Call) []string {
	acct, region := s.world.AccountID, c.Region
	arnOr := func(v, prefix string) string {
		if v == "" {
			return ""
		}
		if strings.HasPrefix(v, "arn:") {
			return v
		}
		return prefix + v
	}
	var out []string
	add := func(v string) {
		if v != "" {
			out = append(out, v)
		}
	}
	switch c.Service {
	case "dynamodb":
		p := "arn:aws:dynamodb:" + region + ":" + acct + ":table/"
		add(arnOr(c.Input.Str("TableName"), p))
		add(arnOr(c.Input.Str("SourceTableName"), p))
		add(arnOr(c.Input.Str("TargetTableName"), p))
		add(c.Input.Str("ResourceArn"))
	case "rds":
		add(arnOr(c.Form.Get("GlobalClusterIdentifier"), "arn:aws:rds::"+acct+":global-cluster:"))
		cl := "arn:aws:rds:" + region + ":" + acct + ":cluster:"
		add(arnOr(c.Form.Get("DBClusterIdentifier"), cl))
		add(arnOr(c.Form.Get("SourceDBClusterIdentifier"), cl))
		add(arnOr(c.Form.Get("TargetDbClusterIdentifier"), cl))
		add(arnOr(c.Form.Get("DbClusterIdentifier"), cl))
		add(arnOr(c.Form.Get("DBInstanceIdentifier"), "arn:aws:rds:"+region+":"+acct+":db:"))
	case "lambda":
		fn := c.Path["FunctionName"]
		if fn == "" {
			break
		}
		if u, err := url.PathUnescape(fn); err == nil {
			fn = u
		}
		arn := arnOr(fn, "arn:aws:lambda:"+region+":"+acct+":function:")
		if a := c.Path["Name"]; a != "" {
			arn += ":" + a
		}
		add(arn)
	case "sns":
		add(c.Form.Get("TopicArn"))
	case "ssm":
		add(arnOr(strings.TrimPrefix(c.Input.Str("Name"), "/"), "arn:aws:ssm:"+region+":"+acct+":parameter/"))
	case "cloudformation":
		if n := c.Form.Get("StackName"); n != "" {
			// A stack's ARN ends in its generated ID; awssim's is the name again.
			add(arnOr(n, "arn:aws:cloudformation:"+region+":"+acct+":stack/"+n+"/"))
		}
	case "route53":
		if id := c.Path["HealthCheckId"]; id != "" {
			add("arn:aws:route53:::healthcheck/" + id)
		}
		if id := c.Path["Id"]; id != "" {
			id, _ = url.PathUnescape(id)
			id = strings.TrimPrefix(id, "/")
			if !strings.Contains(id, "/") {
				kind := "hostedzone/"
				if c.Operation == "GetChange" {
					kind = "change/"
				}
				id = kind + id
			}
			add("arn:aws:route53:::" + id)
		}
	case "s3":
		if b := c.Path["Bucket"]; b != "" {
			add("arn:aws:s3:::" + b)
		}
	case "apigateway":
		if id, st := c.Path["RestApiId"], c.Path["StageName"]; id != "" && st != "" {
			add("arn:aws:apigateway:" + region + "::/restapis/" + id + "/stages/" + st)
		}
	case "backup":
		if v := c.Path["backupVaultName"]; v != "" {
			add("arn:aws:backup:" + region + ":" + acct + ":backup-vault:" + v)
		}
	case "iam":
		add(c.Form.Get("PolicySourceArn"))
	case "monitoring":
		// Alarm operations are authorized on the alarms they name (resource type alarm); a DescribeAlarms
		// without names is checked on its action alone.
		in := cwInput(c)
		switch c.Operation {
		case "DescribeAlarms":
			for _, n := range in.Strings("AlarmNames") {
				add(cwAlarmARN(region, acct, n))
			}
		case "SetAlarmState":
			if n := in.Str("AlarmName"); n != "" {
				add(cwAlarmARN(region, acct, n))
			}
		}
	case "route53-recovery-cluster":
		add(c.Input.Str("RoutingControlArn"))
		for _, m := range c.Input.Maps("UpdateRoutingControlStateEntries") {
			add(m.Str("RoutingControlArn"))
		}
	}
	return out
}
