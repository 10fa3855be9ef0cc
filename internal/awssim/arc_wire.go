package awssim

// ARC routing-control wire shapes (route53-recovery-cluster 2019-12-02, awsJson1_0) and converters.

type arcStateOut struct {
	RoutingControlArn   string `json:"RoutingControlArn"`
	RoutingControlState string `json:"RoutingControlState"`
	RoutingControlName  string `json:"RoutingControlName"`
}

type arcControlOut struct {
	ControlPanelArn     string `json:"ControlPanelArn"`
	ControlPanelName    string `json:"ControlPanelName"`
	RoutingControlArn   string `json:"RoutingControlArn"`
	RoutingControlName  string `json:"RoutingControlName"`
	RoutingControlState string `json:"RoutingControlState"`
	Owner               string `json:"Owner"`
}

type arcListOut struct {
	RoutingControls []arcControlOut `json:"RoutingControls"`
	NextToken       string          `json:"NextToken,omitempty"`
}

func arcControlOf(account string, rc *RoutingControl) arcControlOut {
	return arcControlOut{ControlPanelArn: rc.ControlPanelARN, ControlPanelName: rc.ControlPanelName, RoutingControlArn: rc.ARN,
		RoutingControlName: rc.Name, RoutingControlState: rc.State, Owner: account}
}
