/*-------------------------------------------------------------------------
 *
 * compat.c
 *		The calls whose form differs between the PostgreSQL majors pgq
 *		builds against, in one form for the rest of pgq.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "utils/acl.h"

#include "pgq.h"

/*
 * The privileges of mask that roleid has on relation relid, all of them
 * asked at once; *is_missing, with 0, if the relation is gone.
 */
AclMode
pgq_class_aclmask_missing(Oid relid, Oid roleid, AclMode mask, bool *is_missing)
{
#if PG_VERSION_NUM >= 160000
	AclMode		result = 0;
	AclMode		bit;

	/* pg_class_aclmask_ext is not exported since 16: one privilege at a time */
	*is_missing = false;
	for (bit = 1; bit != 0 && bit <= mask; bit <<= 1)
	{
		if ((mask & bit) == 0)
			continue;
		if (pg_class_aclcheck_ext(relid, roleid, bit, is_missing) == ACLCHECK_OK)
			result |= bit;
		if (*is_missing)
			return 0;
	}
	return result;
#else
	*is_missing = false;
	return pg_class_aclmask_ext(relid, roleid, mask, ACLMASK_ALL, is_missing);
#endif
}

/* may roleid execute function fn? */
bool
pgq_proc_executable(Oid fn, Oid roleid)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(ProcedureRelationId, fn, roleid, ACL_EXECUTE) == ACLCHECK_OK;
#else
	return pg_proc_aclcheck(fn, roleid, ACL_EXECUTE) == ACLCHECK_OK;
#endif
}

/* does roleid have the privileges of relation relid's owner? */
bool
pgq_class_owned(Oid relid, Oid roleid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(RelationRelationId, relid, roleid);
#else
	return pg_class_ownercheck(relid, roleid);
#endif
}

/* the identity sequence of column attnum of relid (InvalidOid: none) */
Oid
pgq_identity_sequence(Oid relid, AttrNumber attnum)
{
#if PG_VERSION_NUM >= 170000
	Relation	rel = relation_open(relid, AccessShareLock);
	Oid			seqid = getIdentitySequence(rel, attnum, true);

	relation_close(rel, AccessShareLock);
	return seqid;
#else
	return getIdentitySequence(relid, attnum, true);
#endif
}
