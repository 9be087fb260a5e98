// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Veil ledger: job anchors and data-asset authorisations
/// @notice Two registries in one contract, both written only through plain transactions so that
/// any EVM chain reached over standard JSON-RPC works (Besu, Geth, Quorum, a hosted chain).
///
/// Anchors. A party (or its outbox) anchors the Merkle root of one job's receipts, or of a batch of
/// jobs, with `anchor`. The chain records the block number, the block timestamp and the submitter
/// of the first transaction that anchored that root, and emits `Anchored` once. Anchoring a root
/// that is already anchored, by anyone, is a no-op that succeeds and changes nothing: the first
/// record stands, no event is emitted, and `anchor` returns false. An outbox can therefore resend
/// an anchor transaction after a timeout or a restart without checking first, and two parties
/// anchoring the same job root agree on one record.
///
/// Data assets. An asset (data, compute or algorithm) is a token
/// `{id, owner, storagePath, proof = hash(metadata), children}`; the metadata itself (type,
/// endpoint, operation-code hashes, child list) stays off chain and `proof` commits to it. The
/// account that registers an asset owns it. Its owner authorises a job-contract or algorithm hash
/// to use it with `authorise`, and withdraws that with `revoke`.
///
/// Composable assets (the rule this contract enforces). An asset built from other assets names
/// them as `children` when it is registered. Registration succeeds only if every child is already
/// registered and the owner of each child has authorised the new asset's id to use that child:
/// `isGranted(child, newId)` must hold, also when the child belongs to the registering account.
/// A higher-level asset thus needs the consent of every lower-level asset it uses, before it exists.
/// Because children must exist first and ids never change, the asset graph has no cycles.
/// `isAuthorised(asset, hash)` answers "may this job/algorithm use this asset now": the asset's owner
/// has granted `hash`, and every child still grants the asset, recursively. A child owner who
/// revokes the parent's grant thereby withdraws every use of the parent, without touching it.
///
/// Usage metering. After a job used an asset, its owner records what each consumer (another party
/// of the job, named by its 32-byte Ed25519 identity key) used with `recordUsage`: one job, the
/// rows read from the asset and the queries answered. The chain keeps totals per asset and per
/// (asset, consumer), and the list of consumers per asset. A record is keyed by
/// (asset, consumer, receipt hash): sending it again is a no-op, so an outbox may retry freely.
/// The owner sets quotas per consumer, or a default for every consumer without its own, with
/// `setQuota`; `quotaSpent` tells a party, before it reads its input, that a consumer has used
/// up a limited figure. The chain only counts; refusing a job is the data party's check.
contract VeilLedger {
    /// One anchor, packed in one storage slot. A zero submitter means "not anchored".
    struct Anchor {
        address submitter;
        uint48 blockNumber;
        uint48 timestamp;
    }

    struct Asset {
        address owner;
        bytes32 proof;
        string storagePath;
        bytes32[] children;
    }

    mapping(bytes32 => Anchor) private anchors;
    mapping(bytes32 => Asset) private assets;
    /// assetId => job-contract/algorithm hash (or parent asset id) => granted
    mapping(bytes32 => mapping(bytes32 => bool)) private grants;

    /// Usage totals: jobs, rows read, queries answered. A quota has the same shape (0 = unlimited).
    struct Usage {
        uint64 jobs;
        uint64 rows;
        uint64 queries;
    }

    /// assetId => totals over every consumer
    mapping(bytes32 => Usage) private assetUsage;
    /// assetId => consumer => totals
    mapping(bytes32 => mapping(bytes32 => Usage)) private consumerUsage;
    /// assetId => consumers with at least one record, in order of their first record
    mapping(bytes32 => bytes32[]) private consumers;
    /// keccak256(assetId, consumer, receiptHash) => recorded
    mapping(bytes32 => bool) private usageRecorded;
    /// assetId => consumer (0x0: the default) => quota
    mapping(bytes32 => mapping(bytes32 => Usage)) private quotas;
    /// assetId => consumer => whether the consumer has its own quota (else the default applies)
    mapping(bytes32 => mapping(bytes32 => bool)) private hasQuota;

    /// @notice A root was anchored for the first time.
    /// @param root the Merkle root of the receipts of one job or one batch of jobs
    /// @param submitter the account that sent the anchoring transaction
    /// @param jobCount how many jobs the root covers
    /// @param batchId the submitter's identifier of the job or batch (not interpreted on chain)
    event Anchored(bytes32 indexed root, address indexed submitter, uint32 jobCount, string batchId);

    /// @notice An asset was registered; `owner` owns it.
    event AssetRegistered(
        bytes32 indexed id, address indexed owner, bytes32 proof, string storagePath, bytes32[] children
    );

    /// @notice The owner of `assetId` allowed `grantee` (a job-contract or algorithm hash, or the id
    /// of a parent asset) to use it.
    event Authorised(bytes32 indexed assetId, bytes32 indexed grantee, address indexed owner);

    /// @notice The owner of `assetId` withdrew the grant to `grantee`.
    event Revoked(bytes32 indexed assetId, bytes32 indexed grantee, address indexed owner);

    /// @notice The owner of `assetId` recorded one job's use of it by `consumer`.
    /// @param assetId the asset used
    /// @param consumer the consuming party's 32-byte Ed25519 identity key
    /// @param receiptHash the hash of the owner's receipt of the job (the record's key with the two above)
    /// @param rows rows read from the asset by the job
    /// @param queries queries the job answered from the asset
    event UsageRecorded(
        bytes32 indexed assetId, bytes32 indexed consumer, bytes32 indexed receiptHash, uint64 rows, uint64 queries
    );

    /// @notice The owner of `assetId` set the quota of `consumer` (0x0: the default for every consumer
    /// without its own); a figure of 0 is unlimited.
    event QuotaSet(bytes32 indexed assetId, bytes32 indexed consumer, uint64 maxJobs, uint64 maxRows, uint64 maxQueries);

    /// @notice Anchors `root`, unless it is already anchored.
    /// @dev Idempotent by design, for outbox retries: a second call with the same root, from any
    /// account and with any jobCount or batchId, changes nothing and emits nothing.
    /// @param root a non-zero Merkle root
    /// @param jobCount the number of jobs under `root`, at least 1
    /// @param batchId the submitter's job or batch identifier, logged in the event only
    /// @return anchored true if this call anchored the root, false if it was anchored already
    function anchor(bytes32 root, uint32 jobCount, string calldata batchId) external returns (bool anchored) {
        require(root != bytes32(0), "VeilLedger: root is zero");
        require(jobCount > 0, "VeilLedger: jobCount is zero");
        if (anchors[root].submitter != address(0)) {
            return false;
        }
        anchors[root] = Anchor(msg.sender, uint48(block.number), uint48(block.timestamp));
        emit Anchored(root, msg.sender, jobCount, batchId);
        return true;
    }

    /// @notice The anchor of `root`; all zero if `root` was never anchored.
    /// @return blockNumber the block that anchored the root
    /// @return timestamp that block's timestamp (seconds since the Unix epoch)
    /// @return submitter the account that anchored it
    function anchorOf(bytes32 root)
        external
        view
        returns (uint256 blockNumber, uint256 timestamp, address submitter)
    {
        Anchor storage a = anchors[root];
        return (a.blockNumber, a.timestamp, a.submitter);
    }

    /// @notice Registers asset `id`, owned by the sender. See the contract notes for the children rule.
    /// @dev Idempotent for retries: registering the same id again with the same owner, proof,
    /// storage path and children is a no-op returning false; any other re-registration reverts.
    /// @param id a non-zero asset id
    /// @param storagePath where the asset's data lives (a URI); not interpreted on chain
    /// @param proof the hash of the asset's off-chain metadata
    /// @param children the ids of the registered assets this asset uses; each must grant `id`
    /// @return registered true if this call registered the asset, false if it was registered already
    function registerAsset(bytes32 id, string calldata storagePath, bytes32 proof, bytes32[] calldata children)
        external
        returns (bool registered)
    {
        require(id != bytes32(0), "VeilLedger: asset id is zero");
        Asset storage existing = assets[id];
        if (existing.owner != address(0)) {
            require(
                existing.owner == msg.sender && existing.proof == proof
                    && keccak256(bytes(existing.storagePath)) == keccak256(bytes(storagePath))
                    && keccak256(abi.encodePacked(existing.children)) == keccak256(abi.encodePacked(children)),
                "VeilLedger: asset id already registered with other content"
            );
            return false;
        }
        for (uint256 i = 0; i < children.length; i++) {
            bytes32 child = children[i];
            require(assets[child].owner != address(0), "VeilLedger: child asset not registered");
            require(grants[child][id], "VeilLedger: child asset owner has not authorised this asset");
        }
        Asset storage a = assets[id];
        a.owner = msg.sender;
        a.proof = proof;
        a.storagePath = storagePath;
        a.children = children;
        emit AssetRegistered(id, msg.sender, proof, storagePath, children);
        return true;
    }

    /// @notice Lets `grantee` (a job-contract or algorithm hash, or a parent asset id) use `assetId`.
    /// Only the asset's owner may call it; granting twice is a no-op.
    function authorise(bytes32 assetId, bytes32 grantee) external {
        _requireOwner(assetId);
        if (!grants[assetId][grantee]) {
            grants[assetId][grantee] = true;
            emit Authorised(assetId, grantee, msg.sender);
        }
    }

    /// @notice Withdraws the grant of `assetId` to `grantee`. Only the asset's owner may call it;
    /// revoking what was not granted is a no-op.
    function revoke(bytes32 assetId, bytes32 grantee) external {
        _requireOwner(assetId);
        if (grants[assetId][grantee]) {
            grants[assetId][grantee] = false;
            emit Revoked(assetId, grantee, msg.sender);
        }
    }

    /// @notice Whether the owner of `assetId` has granted `grantee`, looking at this asset only.
    function isGranted(bytes32 assetId, bytes32 grantee) external view returns (bool) {
        return grants[assetId][grantee];
    }

    /// @notice Whether `hash` may use `assetId` now: the asset is registered, its owner granted
    /// `hash`, and every child asset still grants `assetId`, recursively down to the leaves.
    function isAuthorised(bytes32 assetId, bytes32 hash) external view returns (bool) {
        return assets[assetId].owner != address(0) && grants[assetId][hash] && _childrenConsent(assetId);
    }

    /// @notice The asset `id`; owner is the zero address if it is not registered.
    function assetOf(bytes32 id)
        external
        view
        returns (address owner, bytes32 proof, string memory storagePath, bytes32[] memory children)
    {
        Asset storage a = assets[id];
        return (a.owner, a.proof, a.storagePath, a.children);
    }

    /// @notice Records that `consumer` used `assetId` in the job whose owner's receipt hashes to
    /// `receiptHash`: adds one job, `rows` and `queries` to the consumer's totals and the asset's.
    /// Only the asset's owner may call it.
    /// @dev Idempotent by design, for outbox retries: a second call with the same asset, consumer and
    /// receipt hash, whatever its figures, changes nothing and emits nothing.
    /// @param assetId a registered asset owned by the sender
    /// @param consumer the consuming party's 32-byte Ed25519 identity key, not zero
    /// @param receiptHash the hash of the owner's receipt of the job, not zero
    /// @param rows rows read from the asset by the job
    /// @param queries queries the job answered from the asset
    /// @return recorded true if this call counted the usage, false if it was counted already
    function recordUsage(bytes32 assetId, bytes32 consumer, bytes32 receiptHash, uint64 rows, uint64 queries)
        external
        returns (bool recorded)
    {
        _requireOwnerOfUsage(assetId);
        require(consumer != bytes32(0), "VeilLedger: consumer is zero");
        require(receiptHash != bytes32(0), "VeilLedger: receipt hash is zero");
        bytes32 key = keccak256(abi.encode(assetId, consumer, receiptHash));
        if (usageRecorded[key]) {
            return false;
        }
        usageRecorded[key] = true;
        Usage storage c = consumerUsage[assetId][consumer];
        if (c.jobs == 0) {
            consumers[assetId].push(consumer);
        }
        c.jobs += 1;
        c.rows += rows;
        c.queries += queries;
        Usage storage a = assetUsage[assetId];
        a.jobs += 1;
        a.rows += rows;
        a.queries += queries;
        emit UsageRecorded(assetId, consumer, receiptHash, rows, queries);
        return true;
    }

    /// @notice The usage of `assetId` by every consumer together.
    /// @return jobs jobs recorded
    /// @return rows rows read
    /// @return queries queries answered
    function usageOf(bytes32 assetId) external view returns (uint64 jobs, uint64 rows, uint64 queries) {
        Usage storage u = assetUsage[assetId];
        return (u.jobs, u.rows, u.queries);
    }

    /// @notice The usage of `assetId` by `consumer`; all zero if it has none.
    /// @return jobs jobs recorded
    /// @return rows rows read
    /// @return queries queries answered
    function usageBy(bytes32 assetId, bytes32 consumer)
        external
        view
        returns (uint64 jobs, uint64 rows, uint64 queries)
    {
        Usage storage u = consumerUsage[assetId][consumer];
        return (u.jobs, u.rows, u.queries);
    }

    /// @notice The consumers with usage of `assetId`, in the order of their first record.
    function consumersOf(bytes32 assetId) external view returns (bytes32[] memory) {
        return consumers[assetId];
    }

    /// @notice Sets the quota of `consumer` on `assetId`; consumer 0x0 sets the default quota, which
    /// applies to every consumer without its own. A figure of 0 is unlimited; all three 0 on a
    /// consumer gives it an unlimited quota of its own (not the default). Only the asset's owner may call it.
    /// @param assetId a registered asset owned by the sender
    /// @param consumer the consumer's 32-byte Ed25519 identity key, or 0x0 for the default
    /// @param maxJobs the most jobs, 0 for no limit
    /// @param maxRows the most rows read, 0 for no limit
    /// @param maxQueries the most queries answered, 0 for no limit
    function setQuota(bytes32 assetId, bytes32 consumer, uint64 maxJobs, uint64 maxRows, uint64 maxQueries) external {
        _requireOwnerOfUsage(assetId);
        quotas[assetId][consumer] = Usage(maxJobs, maxRows, maxQueries);
        hasQuota[assetId][consumer] = true;
        emit QuotaSet(assetId, consumer, maxJobs, maxRows, maxQueries);
    }

    /// @notice The quota that applies to `consumer` on `assetId`: its own if the owner set one, else
    /// the default (consumer 0x0). A figure of 0 is unlimited.
    /// @return maxJobs the most jobs
    /// @return maxRows the most rows read
    /// @return maxQueries the most queries answered
    /// @return own true if the consumer has its own quota, false if the default applies
    function quotaOf(bytes32 assetId, bytes32 consumer)
        external
        view
        returns (uint64 maxJobs, uint64 maxRows, uint64 maxQueries, bool own)
    {
        own = hasQuota[assetId][consumer];
        Usage storage q = own ? quotas[assetId][consumer] : quotas[assetId][bytes32(0)];
        return (q.jobs, q.rows, q.queries, own);
    }

    /// @notice Whether `consumer` has used up its quota on `assetId`: true once its usage of any
    /// limited figure (jobs, rows, queries) has reached that figure's limit.
    function quotaSpent(bytes32 assetId, bytes32 consumer) external view returns (bool) {
        Usage storage q = hasQuota[assetId][consumer] ? quotas[assetId][consumer] : quotas[assetId][bytes32(0)];
        Usage storage u = consumerUsage[assetId][consumer];
        return (q.jobs != 0 && u.jobs >= q.jobs) || (q.rows != 0 && u.rows >= q.rows)
            || (q.queries != 0 && u.queries >= q.queries);
    }

    function _childrenConsent(bytes32 assetId) private view returns (bool) {
        bytes32[] storage children = assets[assetId].children;
        for (uint256 i = 0; i < children.length; i++) {
            if (!grants[children[i]][assetId] || !_childrenConsent(children[i])) {
                return false;
            }
        }
        return true;
    }

    function _requireOwner(bytes32 assetId) private view {
        address owner = assets[assetId].owner;
        require(owner != address(0), "VeilLedger: asset not registered");
        require(owner == msg.sender, "VeilLedger: only the asset owner may change its authorisations");
    }

    function _requireOwnerOfUsage(bytes32 assetId) private view {
        address owner = assets[assetId].owner;
        require(owner != address(0), "VeilLedger: asset not registered");
        require(owner == msg.sender, "VeilLedger: only the asset owner may record usage or set quotas");
    }
}
