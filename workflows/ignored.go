package workflows

// keepIgnored appends a refused signal's message to list: each entry bounded to maxIgnoredLen, the latest
// MaxIgnored kept and older ones only counted in dropped. The failover's status and the watch's status
// share it, so a flood of refused signals can never grow either past Temporal's blob limits.
func keepIgnored(list []string, dropped int, msg string) ([]string, int) {
	list = append(list, bounded(msg, maxIgnoredLen))
	if over := len(list) - MaxIgnored; over > 0 {
		list = append([]string(nil), list[over:]...)
		dropped += over
	}
	return list, dropped
}
