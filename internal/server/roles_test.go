package server_test

import (
	"strings"
	"testing"
)

// Roles do what the README says: an admin manages members and neither
// changes the roster nor reads full manifests unless also granted a role
// that does (the full manifest: TestDrawLifecycle); a joint office keeps
// no roster.
func TestRolesDoWhatTheReadmeSays(t *testing.T) {
	e := newEnv(t)
	admin := e.As("wl-admin")
	save := func(i int) map[string]any {
		return map[string]any{"in": map[string]any{"uscc": testUSCC(t, i), "name": "阳城县角色测试对象"}}
	}
	t.Run("AdminChangesNoRoster", func(t *testing.T) {
		wantCode(t, e.Do(admin, saveEntityForRoster, save(71)), "FORBIDDEN")
	})
	t.Run("AdminManagesMembers", func(t *testing.T) {
		e.Do(admin, `{ members { nodes { roles } } }`, nil).mustData(t, nil)
	})
	t.Run("AdminGrantedPlannerReadsIt", func(t *testing.T) {
		e.Do(admin, setRoles, map[string]any{"in": map[string]any{"username": "wl-admin", "roles": []string{"ADMIN", "PLANNER"}}}).mustData(t, nil)
		e.Do(admin, saveEntityForRoster, save(72)).mustData(t, nil)
	})
	t.Run("JointOfficeKeepsNoRoster", func(t *testing.T) {
		// even a planner of it, who may otherwise write rosters
		lh := e.As("lh-admin")
		e.Do(lh, setRoles, map[string]any{"in": map[string]any{"username": "lh-admin", "roles": []string{"ADMIN", "PLANNER"}}}).mustData(t, nil)
		r := e.Do(lh, saveEntityForRoster, save(73))
		wantCode(t, r, "FORBIDDEN")
		if !strings.Contains(r.Errors[0].Message, "joint office") {
			t.Errorf("message = %q, want it to say a joint office keeps no roster", r.Errors[0].Message)
		}
	})
}
