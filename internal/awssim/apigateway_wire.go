package awssim

// API Gateway wire shapes: rest-json outputs built from the model as maps.

func apigwRestAPIOut(s *Server, api *RestAPI) map[string]any {
	return map[string]any{"id": api.ID, "name": api.Name, "createdDate": s.world.Seeded.Add(-seedAge),
		"endpointConfiguration": map[string]any{"types": []string{"REGIONAL"}}}
}

func apigwStageOut(s *Server, st *Stage) map[string]any {
	settings := map[string]any{}
	for k, ms := range st.MethodSettings {
		settings[k] = map[string]any{"throttlingRateLimit": ms.ThrottlingRateLimit,
			"throttlingBurstLimit": ms.ThrottlingBurstLimit, "metricsEnabled": ms.MetricsEnabled}
	}
	return map[string]any{"stageName": st.Name, "methodSettings": settings,
		"createdDate": s.world.Seeded.Add(-seedAge), "lastUpdatedDate": st.LastUpdated}
}
