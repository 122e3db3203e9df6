package graph

import "strconv"

// noticeTask reads a task's global id, a DrawTask's or an InspectionTask's
// (both name draw and seq), as (draw id, seq); an id that is neither reads
// as (-1, -1), which names no task: the service answers it, after its
// permission check, as any unknown task.
func noticeTask(id string) (int64, int) {
	key, ok := keyOf(id, nodeDrawTask)
	if !ok {
		key, ok = keyOf(id, nodeTask)
	}
	if !ok {
		return -1, -1
	}
	drawID, err1 := strconv.ParseInt(key[0], 10, 64)
	seq, err2 := strconv.Atoi(key[1])
	if err1 != nil || err2 != nil {
		return -1, -1
	}
	return drawID, seq
}
