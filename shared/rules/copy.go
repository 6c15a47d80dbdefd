package rules

// Zone is where a copied file lands first.
type Zone int

const (
	// LZ: the landing zone, where the file is validated before it moves to the DLZ.
	LZ Zone = iota
	// DLZ: the data lake zone.
	DLZ
)

// Zone is where a file of a dataset lands: in the LZ to be validated,
// unless its file type has nothing to validate or the dataset skips the
// LZ (which only 1.8 and later allow).
func (v Version) Zone(skipLZ, validated bool) Zone {
	if !validated || (skipLZ && v.AllowsSkipLZ()) {
		return DLZ
	}
	return LZ
}

// Action is what a worker does with an object it is about to copy.
type Action int

const (
	// Copy: the file is copied into its Zone.
	Copy Action = iota
	// Skip: the file is archived; the run lists it with its class (1.7+).
	Skip
	// Fail: the file cannot be ingested; the run fails, naming it (1.6).
	Fail
	// Restore: the file is archived and its dataset restores archived
	// files: RestoreObject is sent (RestoreFor) and the file is listed as
	// restoring, to be ingested once readable.
	Restore
	// Restoring: a restore of the file is in progress: it is listed as
	// restoring and not requested again.
	Restoring
)

// AtCopy decides an object at copy time, on its current state (an archived
// class needs HeadObject's word, see StorageClass.MayNeedRestore) and its
// dataset's restore option (nil: none), and says why when it is not
// copied (Restore and Restoring: see RestoringReason).
func (v Version) AtCopy(o Object, restore *RestoreArchived) (Action, string) {
	switch {
	case v.AllowsRestore() && restore != nil && o.Archived() && o.RestoreInProgress():
		return Restoring, ""
	case v.AllowsRestore() && restore != nil && o.Archived():
		return Restore, ""
	case v.SkipsArchived() && o.Archived():
		return Skip, "in " + string(o.Class) + " and not restored"
	case !v.SkipsArchived() && o.Class != Standard:
		return Fail, "version 1.6 ingests only the S3 Standard storage class; the file is in " + string(o.Class)
	}
	return Copy, ""
}
