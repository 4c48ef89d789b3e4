// Network filters: kafka_broker's table of Kafka API keys (Kafka 3.4) by number, as the snake_case names Envoy's
// request.<name>_request / response.<name>_response stats use.

export const KAFKA_API_NAMES: readonly string[] = [
  'produce', 'fetch', 'list_offsets', 'metadata', 'leader_and_isr', 'stop_replica', 'update_metadata', 'controlled_shutdown',
  'offset_commit', 'offset_fetch', 'find_coordinator', 'join_group', 'heartbeat', 'leave_group', 'sync_group', 'describe_groups',
  'list_groups', 'sasl_handshake', 'api_versions', 'create_topics', 'delete_topics', 'delete_records', 'init_producer_id',
  'offset_for_leader_epoch', 'add_partitions_to_txn', 'add_offsets_to_txn', 'end_txn', 'write_txn_markers', 'txn_offset_commit',
  'describe_acls', 'create_acls', 'delete_acls', 'describe_configs', 'alter_configs', 'alter_replica_log_dirs', 'describe_log_dirs',
  'sasl_authenticate', 'create_partitions', 'create_delegation_token', 'renew_delegation_token', 'expire_delegation_token',
  'describe_delegation_token', 'delete_groups', 'elect_leaders', 'incremental_alter_configs', 'alter_partition_reassignments',
  'list_partition_reassignments', 'offset_delete', 'describe_client_quotas', 'alter_client_quotas', 'describe_user_scram_credentials',
  'alter_user_scram_credentials', 'vote', 'begin_quorum_epoch', 'end_quorum_epoch', 'describe_quorum', 'alter_partition',
  'update_features', 'envelope', 'fetch_snapshot', 'describe_cluster', 'describe_producers', 'broker_registration',
  'broker_heartbeat', 'unregister_broker', 'describe_transactions', 'list_transactions', 'allocate_producer_ids',
];
