package awssim

import "time"

// DynamoDB wire shapes: awsJson 1.0 outputs built from the model as maps (timestamps stay time.Time; the
// codec sends them as epoch seconds).

func (s *Server) tableDescription(region string, t *Table) map[string]any {
	now := s.now()
	items := liveItems(t, now)
	d := map[string]any{
		"TableName": t.Name, "TableStatus": t.Status, "TableArn": t.ARN, "TableId": stableID(t.ARN),
		"CreationDateTime":     t.CreatedAt,
		"KeySchema":            []any{map[string]any{"AttributeName": t.KeyAttribute, "KeyType": "HASH"}},
		"AttributeDefinitions": []any{map[string]any{"AttributeName": t.KeyAttribute, "AttributeType": "S"}},
		"ItemCount":            int64(len(items)), "TableSizeBytes": int64(len(items) * 64),
		"ProvisionedThroughput": map[string]any{
			"ReadCapacityUnits": t.ReadCap, "WriteCapacityUnits": t.WriteCap, "NumberOfDecreasesToday": 0,
		},
	}
	bm := map[string]any{"BillingMode": t.BillingMode}
	if t.BillingMode == "PAY_PER_REQUEST" {
		last := t.CreatedAt
		if n := len(t.BillingSwitches); n > 0 {
			last = t.BillingSwitches[n-1]
		}
		bm["LastUpdateToPayPerRequestDateTime"] = last
	}
	d["BillingModeSummary"] = bm
	if len(t.Replicas) > 1 {
		// Global tables version 2019.11.21: DescribeTable lists the replicas other than the table asked.
		var reps []any
		for _, r := range t.Replicas {
			if r == region {
				continue
			}
			status := "ACTIVE"
			if rt := s.world.Regions[r].Tables[t.Name]; rt != nil && rt.Status != "ACTIVE" {
				status = rt.Status
			}
			reps = append(reps, map[string]any{"RegionName": r, "ReplicaStatus": status})
		}
		d["Replicas"] = reps
		d["GlobalTableVersion"] = "2019.11.21"
	}
	describeSettings(t, d)
	if t.RestoredFrom != "" {
		d["RestoreSummary"] = map[string]any{
			"SourceTableArn": t.RestoredFrom, "RestoreDateTime": t.RestoredTo, "RestoreInProgress": t.Status == "CREATING",
		}
	}
	return d
}

func (s *Server) continuousBackups(t *Table, now time.Time) map[string]any {
	pitr := map[string]any{"PointInTimeRecoveryStatus": "DISABLED"}
	if t.PITR {
		e, l := s.pitrWindow(t, now)
		days := t.PITRDays
		if days == 0 {
			days = pitrMaxDays
		}
		pitr = map[string]any{"PointInTimeRecoveryStatus": "ENABLED", "EarliestRestorableDateTime": e,
			"LatestRestorableDateTime": l, "RecoveryPeriodInDays": days}
	}
	// Continuous backups are always on in DynamoDB; PITR is the switch.
	return map[string]any{"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}
}
