package account

// HoldHashSlots takes every slot of the password-hashing queue, as a flood
// of sign-ins would, until release is called.
func HoldHashSlots() (release func()) {
	for range cap(hashing) {
		hashing <- struct{}{}
	}
	return func() {
		for range cap(hashing) {
			<-hashing
		}
	}
}
