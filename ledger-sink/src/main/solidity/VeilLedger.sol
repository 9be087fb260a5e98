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
}
