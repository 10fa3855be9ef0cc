package awssim

// AWS Backup wire shapes: rest-json outputs built from the model as maps.

func backupVaultOut(s *Server, c *Call, v *Vault) map[string]any {
	return map[string]any{
		"BackupVaultName": v.Name, "BackupVaultArn": v.ARN, "VaultType": "BACKUP_VAULT", "VaultState": "AVAILABLE",
		"CreationDate": s.world.Seeded.Add(-seedAge), "NumberOfRecoveryPoints": len(backupVisible(s, c, v)), "Locked": false,
	}
}

func backupRecoveryPointOut(v *Vault, rp *RecoveryPoint) map[string]any {
	return map[string]any{
		"RecoveryPointArn": rp.ARN, "BackupVaultName": v.Name, "BackupVaultArn": v.ARN,
		"ResourceArn": rp.ResourceARN, "ResourceType": rp.ResourceType, "Status": rp.Status,
		"CreationDate": rp.CreatedAt, "CompletionDate": rp.CompletedAt, "BackupSizeInBytes": rp.SizeBytes,
		"IsEncrypted": true, "VaultType": "BACKUP_VAULT",
	}
}
