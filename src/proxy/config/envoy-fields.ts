// Config stage: Envoy v3 field names per message (facts from Envoy's .proto files), so an Envoy field trellis does not implement is told apart from a typo.
// Listed from node_modules/@grpc/grpc-js-xds/deps/envoy-api; keys are proto message names without the 'envoy.' prefix.

export const ENVOY_FIELDS: Readonly<Record<string, string>> = {
  'config.bootstrap.v3.Bootstrap.StaticResources':
    'listeners clusters secrets',
  'config.bootstrap.v3.Bootstrap.DynamicResources':
    'lds_config lds_resources_locator cds_config cds_resources_locator ads_config',
  'config.bootstrap.v3.Bootstrap':
    'node node_context_params static_resources dynamic_resources cluster_manager hds_config flags_path stats_sinks deferred_stat_options stats_config stats_flush_interval stats_flush_on_admin watchdog watchdogs tracing layered_runtime admin overload_manager enable_dispatcher_stats header_prefix stats_server_version_override use_tcp_for_dns_lookups dns_resolution_config typed_dns_resolver_config bootstrap_extensions fatal_actions config_sources default_config_source default_socket_interface certificate_provider_instances inline_headers perf_tracing_file_path default_regex_engine xds_delegate_extension xds_config_tracker_extension listener_manager application_log_config grpc_async_client_manager_config memory_allocator_manager',
  'config.bootstrap.v3.LayeredRuntime':
    'layers',
  'config.bootstrap.v3.RuntimeLayer':
    'name static_layer disk_layer admin_layer rtds_layer',
  'config.bootstrap.v3.RuntimeLayer.DiskLayer':
    'symlink_root subdirectory append_service_cluster',
  'config.bootstrap.v3.RuntimeLayer.AdminLayer':
    '',
  'config.bootstrap.v3.Runtime':
    'symlink_root subdirectory override_subdirectory base',
  'config.bootstrap.v3.Admin':
    'access_log access_log_path profile_path address socket_options ignore_global_conn_limit',
  'config.core.v3.Locality':
    'region zone sub_zone',
  'config.core.v3.Node':
    'id cluster metadata dynamic_parameters locality user_agent_name user_agent_version user_agent_build_version extensions client_features listening_addresses',
  'config.core.v3.HeaderValue':
    'key value raw_value',
  'config.core.v3.HeaderValueOption':
    'header append append_action keep_empty_value',
  'config.core.v3.Metadata':
    'filter_metadata typed_filter_metadata',
  'config.core.v3.DataSource':
    'filename inline_bytes inline_string environment_variable watched_directory',
  'config.core.v3.TransportSocket':
    'name typed_config',
  'config.core.v3.RuntimeFractionalPercent':
    'default_value runtime_key',
  'config.core.v3.RuntimeFeatureFlag':
    'default_value runtime_key',
  'type.v3.TokenBucket':
    'max_tokens tokens_per_fill fill_interval',
  // Local rate limit (extensions.filters.http.local_ratelimit.v3) and the route rate_limits it reads
  'extensions.filters.http.local_ratelimit.v3.LocalRateLimit':
    'stat_prefix status token_bucket filter_enabled filter_enforced request_headers_to_add_when_not_enforced response_headers_to_add descriptors stage local_rate_limit_per_downstream_connection local_cluster_rate_limit enable_x_ratelimit_headers vh_rate_limits always_consume_default_token_bucket rate_limited_as_resource_exhausted rate_limits max_dynamic_descriptors',
  'extensions.common.ratelimit.v3.LocalRateLimitDescriptor':
    'entries token_bucket',
  'extensions.common.ratelimit.v3.RateLimitDescriptor.Entry':
    'key value',
  'config.route.v3.RateLimit':
    'stage disable_key actions limit',
  'config.route.v3.RateLimit.Action':
    'source_cluster destination_cluster request_headers remote_address generic_key header_value_match dynamic_metadata metadata extension masked_remote_address query_parameter_value_match',
  'config.route.v3.RateLimit.Action.RequestHeaders':
    'header_name descriptor_key skip_if_absent',
  'config.route.v3.RateLimit.Action.RemoteAddress': '',
  'config.route.v3.RateLimit.Action.GenericKey':
    'descriptor_value descriptor_key',
  'config.route.v3.RateLimit.Action.HeaderValueMatch':
    'descriptor_key descriptor_value expect_match headers',
  'extensions.filters.network.local_ratelimit.v3.LocalRateLimit':
    'stat_prefix token_bucket runtime_enabled share_key',
  'extensions.filters.network.ext_authz.v3.ExtAuthz':
    'stat_prefix grpc_service failure_mode_allow include_peer_certificate transport_api_version filter_enabled_metadata bootstrap_metadata_labels_key include_tls_session check_on_new_connection send_tls_alert_on_denial',
  'extensions.filters.network.mysql_proxy.v3.MySQLProxy':
    'stat_prefix access_log',
  'extensions.filters.network.postgres_proxy.v3alpha.PostgresProxy':
    'stat_prefix enable_sql_parsing terminate_ssl upstream_ssl downstream_ssl',
  'extensions.filters.network.kafka_broker.v3.KafkaBroker':
    'stat_prefix force_response_rewrite id_based_broker_address_rewrite_spec api_keys_allowed api_keys_denied',
  'extensions.filters.udp.udp_proxy.v3.UdpProxyConfig':
    'stat_prefix cluster matcher idle_timeout use_original_src_ip hash_policies upstream_socket_config use_per_packet_load_balancing access_log proxy_access_log session_filters tunneling_config access_log_options',
  'extensions.filters.udp.udp_proxy.v3.UdpProxyConfig.HashPolicy':
    'source_ip key',
  'extensions.filters.udp.udp_proxy.v3.Route':
    'cluster',
  'config.core.v3.UdpSocketConfig':
    'max_rx_datagram_size prefer_gro',
  'config.listener.v3.UdpListenerConfig':
    'downstream_socket_config quic_options udp_packet_packet_writer_config',
  'xds.type.matcher.v3.Matcher':
    'matcher_list matcher_tree on_no_match',
  'xds.type.matcher.v3.Matcher.OnMatch':
    'matcher action keep_matching',
  'config.core.v3.TypedExtensionConfig':
    'name typed_config',
  'extensions.filters.network.rbac.v3.RBAC':
    'rules matcher shadow_rules shadow_matcher shadow_rules_stat_prefix stat_prefix enforcement_type delay_deny enforce_on_transport_ready',
  'config.route.v3.FilterConfig':
    'config is_optional disabled',
  'config.core.v3.SocketAddress':
    'protocol address port_value named_port resolver_name ipv4_compat',
  'config.core.v3.Address':
    'socket_address pipe envoy_internal_address',
  'config.core.v3.CidrRange':
    'address_prefix prefix_len',
  'config.core.v3.AggregatedConfigSource': '',
  'config.core.v3.PathConfigSource': 'path watched_directory',
  'config.core.v3.WatchedDirectory': 'path',
  'config.core.v3.ApiConfigSource':
    'api_type transport_api_version cluster_names grpc_services refresh_delay request_timeout rate_limit_settings set_node_on_first_message_only config_validators',
  'config.core.v3.ConfigSource':
    'authorities path path_config_source api_config_source ads self initial_fetch_timeout resource_api_version',
  'config.core.v3.GrpcService.EnvoyGrpc':
    'cluster_name authority retry_policy max_receive_message_length skip_envoy_headers',
  'config.core.v3.GrpcService':
    'envoy_grpc google_grpc timeout initial_metadata retry_policy',
  'config.core.v3.HealthCheck.Payload':
    'text binary',
  'config.core.v3.HealthCheck.HttpHealthCheck':
    'host path send receive response_buffer_size request_headers_to_add request_headers_to_remove expected_statuses retriable_statuses codec_client_type service_name_matcher method',
  'config.core.v3.HealthCheck.TcpHealthCheck':
    'send receive proxy_protocol_config',
  'config.core.v3.HealthCheck':
    'timeout interval initial_jitter interval_jitter interval_jitter_percent unhealthy_threshold healthy_threshold alt_port reuse_connection http_health_check tcp_health_check grpc_health_check custom_health_check no_traffic_interval no_traffic_healthy_interval unhealthy_interval unhealthy_edge_interval healthy_edge_interval event_log_path event_logger event_service always_log_health_check_failures always_log_health_check_success tls_options transport_socket_match_criteria',
  'config.core.v3.HttpProtocolOptions':
    'idle_timeout max_connection_duration max_headers_count max_stream_duration headers_with_underscores_action max_requests_per_connection',
  'config.core.v3.Http1ProtocolOptions':
    'allow_absolute_url accept_http_10 default_host_for_http_10 header_key_format enable_trailers allow_chunked_length override_stream_error_on_invalid_http_message send_fully_qualified_url use_balsa_parser allow_custom_methods',
  'config.core.v3.Http2ProtocolOptions':
    'hpack_table_size max_concurrent_streams initial_stream_window_size initial_connection_window_size allow_connect allow_metadata max_outbound_frames max_outbound_control_frames max_consecutive_inbound_frames_with_empty_payload max_inbound_priority_frames_per_stream max_inbound_window_update_frames_per_data_frame_sent stream_error_on_invalid_http_messaging override_stream_error_on_invalid_http_message custom_settings_parameters connection_keepalive use_oghttp2_codec',
  'config.core.v3.SchemeHeaderTransformation':
    'scheme_to_overwrite match_upstream',
  'config.core.v3.SubstitutionFormatString':
    'text_format json_format text_format_source omit_empty_values content_type formatters json_format_options',
  'type.v3.Percent':
    'value',
  'type.v3.FractionalPercent':
    'numerator denominator',
  'type.v3.Int64Range':
    'start end',
  'type.matcher.v3.StringMatcher':
    'exact prefix suffix safe_regex contains custom ignore_case',
  'type.matcher.v3.RegexMatcher.GoogleRE2':
    'max_program_size',
  'type.matcher.v3.RegexMatcher':
    'google_re2 regex',
  'type.matcher.v3.RegexMatchAndSubstitute':
    'pattern substitution',
  // RBAC (config.rbac.v3, extensions.filters.http.rbac.v3) and the matchers it uses
  'type.matcher.v3.PathMatcher':
    'path',
  'type.matcher.v3.MetadataMatcher':
    'filter path value invert',
  'type.matcher.v3.MetadataMatcher.PathSegment':
    'key',
  'type.matcher.v3.ValueMatcher':
    'null_match double_match string_match bool_match present_match list_match or_match',
  'type.matcher.v3.ValueMatcher.NullMatch': '',
  'type.matcher.v3.ListMatcher':
    'one_of',
  'type.matcher.v3.OrMatcher':
    'value_matchers',
  'type.matcher.v3.DoubleMatcher':
    'range exact',
  'type.v3.DoubleRange':
    'start end',
  'type.v3.Int32Range':
    'start end',
  'config.rbac.v3.RBAC':
    'action policies audit_logging_options',
  'config.rbac.v3.Policy':
    'permissions principals condition checked_condition cel_config',
  'config.rbac.v3.SourcedMetadata':
    'metadata_matcher metadata_source',
  'config.rbac.v3.Permission':
    'and_rules or_rules any header url_path destination_ip destination_port destination_port_range metadata not_rule requested_server_name matcher uri_template sourced_metadata',
  'config.rbac.v3.Permission.Set':
    'rules',
  'config.rbac.v3.Principal':
    'and_ids or_ids any authenticated source_ip direct_remote_ip remote_ip header url_path metadata filter_state not_id sourced_metadata custom',
  'config.rbac.v3.Principal.Set':
    'ids',
  'config.rbac.v3.Principal.Authenticated':
    'principal_name',
  'extensions.filters.http.rbac.v3.RBAC':
    'rules rules_stat_prefix matcher shadow_rules shadow_matcher shadow_rules_stat_prefix track_per_rule_stats',
  'extensions.filters.http.rbac.v3.RBACPerRoute':
    'rbac',
  'config.route.v3.RouteConfiguration':
    'name virtual_hosts vhds internal_only_headers response_headers_to_add response_headers_to_remove request_headers_to_add request_headers_to_remove most_specific_header_mutations_wins validate_clusters max_direct_response_body_size_bytes cluster_specifier_plugins request_mirror_policies ignore_port_in_host_matching ignore_path_parameters_in_path_matching typed_per_filter_config metadata',
  'config.route.v3.Vhds':
    'config_source',
  'config.route.v3.VirtualHost':
    'name domains routes matcher require_tls virtual_clusters rate_limits request_headers_to_add request_headers_to_remove response_headers_to_add response_headers_to_remove cors typed_per_filter_config include_request_attempt_count include_attempt_count_in_response retry_policy retry_policy_typed_config hedge_policy include_is_timeout_retry_header per_request_buffer_limit_bytes request_mirror_policies metadata',
  'config.route.v3.Route':
    'name match route redirect direct_response filter_action non_forwarding_action metadata decorator typed_per_filter_config request_headers_to_add request_headers_to_remove response_headers_to_add response_headers_to_remove tracing per_request_buffer_limit_bytes stat_prefix',
  'config.route.v3.WeightedCluster.ClusterWeight':
    'name cluster_header weight metadata_match request_headers_to_add request_headers_to_remove response_headers_to_add response_headers_to_remove typed_per_filter_config host_rewrite_literal',
  'config.route.v3.WeightedCluster':
    'clusters total_weight runtime_key_prefix header_name',
  'config.route.v3.RouteMatch':
    'prefix path safe_regex connect_matcher path_separated_prefix path_match_policy case_sensitive runtime_fraction headers query_parameters grpc tls_context dynamic_metadata',
  'config.route.v3.RouteAction.RequestMirrorPolicy':
    'cluster cluster_header runtime_fraction trace_sampled disable_shadow_host_suffix_append',
  'config.route.v3.RouteAction.HashPolicy.Header':
    'header_name regex_rewrite',
  'config.route.v3.RouteAction.HashPolicy.Cookie':
    'name ttl path attributes',
  'config.route.v3.RouteAction.HashPolicy.ConnectionProperties':
    'source_ip',
  'config.route.v3.RouteAction.HashPolicy.QueryParameter':
    'name',
  'config.route.v3.RouteAction.HashPolicy.FilterState':
    'key',
  'config.route.v3.RouteAction.HashPolicy':
    'header cookie connection_properties query_parameter filter_state terminal',
  'config.route.v3.RouteAction.UpgradeConfig':
    'upgrade_type enabled connect_config',
  'config.route.v3.RouteAction.MaxStreamDuration':
    'max_stream_duration grpc_timeout_header_max grpc_timeout_header_offset',
  'config.route.v3.RouteAction':
    'cluster cluster_header weighted_clusters cluster_specifier_plugin inline_cluster_specifier_plugin cluster_not_found_response_code metadata_match prefix_rewrite regex_rewrite path_rewrite_policy host_rewrite_literal auto_host_rewrite host_rewrite_header host_rewrite_path_regex append_x_forwarded_host timeout idle_timeout early_data_policy retry_policy retry_policy_typed_config request_mirror_policies priority rate_limits include_vh_rate_limits hash_policy cors max_grpc_timeout grpc_timeout_offset upgrade_configs internal_redirect_policy internal_redirect_action max_internal_redirects hedge_policy max_stream_duration',
  'config.route.v3.RetryPolicy.RetryHostPredicate':
    'name typed_config',
  'config.route.v3.RetryPolicy.RetryBackOff':
    'base_interval max_interval',
  'config.route.v3.RetryPolicy':
    'retry_on num_retries per_try_timeout per_try_idle_timeout retry_priority retry_host_predicate retry_options_predicates host_selection_retry_max_attempts retriable_status_codes retry_back_off rate_limited_retry_back_off retriable_headers retriable_request_headers',
  'config.route.v3.RedirectAction':
    'https_redirect scheme_redirect host_redirect port_redirect path_redirect prefix_rewrite regex_rewrite response_code strip_query',
  'config.route.v3.DirectResponseAction':
    'status body',
  'config.route.v3.HeaderMatcher':
    'name exact_match safe_regex_match range_match present_match prefix_match suffix_match contains_match string_match invert_match treat_missing_header_as_empty',
  'config.route.v3.QueryParameterMatcher':
    'name string_match present_match',
  'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.SetCurrentClientCertDetails':
    'subject cert chain dns uri',
  'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.UpgradeConfig':
    'upgrade_type filters enabled',
  'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager':
    'codec_type stat_prefix rds route_config scoped_routes http_filters add_user_agent tracing common_http_protocol_options http_protocol_options http2_protocol_options http3_protocol_options server_name server_header_transformation scheme_header_transformation max_request_headers_kb stream_idle_timeout request_timeout request_headers_timeout drain_timeout delayed_close_timeout access_log access_log_flush_interval flush_access_log_on_new_request access_log_options use_remote_address xff_num_trusted_hops original_ip_detection_extensions early_header_mutation_extensions internal_address_config skip_xff_append via generate_request_id preserve_external_request_id always_set_request_id_in_response forward_client_cert_details set_current_client_cert_details proxy_100_continue represent_ipv4_remote_address_as_ipv4_mapped_ipv6 upgrade_configs normalize_path merge_slashes path_with_escaped_slashes_action request_id_extension local_reply_config strip_matching_host_port strip_any_host_port stream_error_on_invalid_http_message path_normalization_options strip_trailing_host_dot proxy_status_config typed_header_validation_config append_x_forwarded_port append_local_overload add_proxy_protocol_connection_state',
  'extensions.filters.network.http_connection_manager.v3.Rds':
    'config_source route_config_name',
  'extensions.filters.network.http_connection_manager.v3.HttpFilter':
    'name typed_config config_discovery is_optional disabled',
  'extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight':
    'name weight metadata_match',
  'extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster':
    'clusters',
  'extensions.filters.network.tcp_proxy.v3.TcpProxy':
    'stat_prefix cluster weighted_clusters on_demand metadata_match idle_timeout downstream_idle_timeout upstream_idle_timeout access_log max_connect_attempts hash_policy tunneling_config max_downstream_connection_duration access_log_flush_interval flush_access_log_on_connected access_log_options',
  'extensions.filters.http.fault.v3.FaultAbort.HeaderAbort': '',
  'extensions.filters.http.fault.v3.FaultAbort':
    'http_status grpc_status header_abort percentage',
  'extensions.filters.http.fault.v3.HTTPFault':
    'delay abort upstream_cluster headers downstream_nodes max_active_faults response_rate_limit delay_percent_runtime abort_percent_runtime delay_duration_runtime abort_http_status_runtime max_active_faults_runtime response_rate_limit_percent_runtime abort_grpc_status_runtime disable_downstream_cluster_stats filter_metadata',
  'extensions.filters.common.fault.v3.FaultDelay.HeaderDelay': '',
  'extensions.filters.common.fault.v3.FaultDelay':
    'fixed_delay header_delay percentage',
  'extensions.filters.http.cors.v3.Cors': '',
  'extensions.filters.http.cors.v3.CorsPolicy':
    'allow_origin_string_match allow_methods allow_headers expose_headers max_age allow_credentials filter_enabled shadow_enabled allow_private_network_access forward_not_matching_preflights',
  // health_check, buffer, csrf, header_to_metadata HTTP filters
  'extensions.filters.http.health_check.v3.HealthCheck':
    'pass_through_mode cache_time cluster_min_healthy_percentages headers',
  'extensions.filters.http.buffer.v3.Buffer':
    'max_request_bytes',
  'extensions.filters.http.buffer.v3.BufferPerRoute':
    'disabled buffer',
  'extensions.filters.http.csrf.v3.CsrfPolicy':
    'filter_enabled shadow_enabled additional_origins',
  'extensions.filters.http.header_to_metadata.v3.Config':
    'request_rules response_rules',
  'extensions.filters.http.header_to_metadata.v3.Config.Rule':
    'header cookie on_header_present on_header_missing remove',
  'extensions.filters.http.header_to_metadata.v3.Config.KeyValuePair':
    'metadata_namespace key value regex_value_rewrite type encode',
  'extensions.compression.gzip.compressor.v3.Gzip':
    'memory_level compression_level compression_strategy window_bits chunk_size',
  'extensions.compression.brotli.compressor.v3.Brotli':
    'quality encoder_mode window_bits input_block_bits chunk_size disable_literal_context_modeling',
  'extensions.compression.gzip.decompressor.v3.Gzip':
    'window_bits chunk_size max_inflate_ratio',
  'extensions.compression.brotli.decompressor.v3.Brotli':
    'disable_ring_buffer_reallocation chunk_size',
  'extensions.filters.http.compressor.v3.Compressor':
    'content_length content_type disable_on_etag_header remove_accept_encoding_header runtime_enabled compressor_library request_direction_config response_direction_config choose_first',
  'extensions.filters.http.compressor.v3.Compressor.CommonDirectionConfig':
    'enabled min_content_length content_type',
  'extensions.filters.http.compressor.v3.Compressor.RequestDirectionConfig':
    'common_config',
  'extensions.filters.http.compressor.v3.Compressor.ResponseDirectionConfig':
    'common_config disable_on_etag_header weaken_etag_on_compress remove_accept_encoding_header uncompressible_response_codes status_header_enabled',
  'extensions.filters.http.compressor.v3.CompressorPerRoute':
    'disabled overrides',
  'extensions.filters.http.compressor.v3.CompressorOverrides':
    'response_direction_config compressor_library',
  'extensions.filters.http.compressor.v3.ResponseDirectionOverrides':
    'remove_accept_encoding_header',
  'extensions.filters.http.decompressor.v3.Decompressor':
    'decompressor_library request_direction_config response_direction_config',
  'extensions.filters.http.decompressor.v3.Decompressor.CommonDirectionConfig':
    'enabled ignore_no_transform_header',
  'extensions.filters.http.decompressor.v3.Decompressor.RequestDirectionConfig':
    'common_config advertise_accept_encoding',
  'extensions.filters.http.decompressor.v3.Decompressor.ResponseDirectionConfig':
    'common_config',
  'extensions.filters.http.grpc_web.v3.GrpcWeb': '',
  'extensions.filters.http.grpc_http1_bridge.v3.Config':
    'upgrade_protobuf_to_grpc ignore_query_parameters',
  'extensions.filters.http.jwt_authn.v3.JwtAuthentication':
    'providers rules filter_state_rules bypass_cors_preflight requirement_map strip_failure_response',
  'extensions.filters.http.jwt_authn.v3.JwtProvider':
    'issuer audiences subjects require_expiration max_lifetime remote_jwks local_jwks forward from_headers from_params from_cookies forward_payload_header pad_forward_payload_header payload_in_metadata normalize_payload_in_metadata header_in_metadata failed_status_in_metadata clock_skew_seconds jwt_cache_config claim_to_headers clear_route_cache',
  'extensions.filters.http.jwt_authn.v3.JwtProvider.NormalizePayload':
    'space_delimited_claims',
  'extensions.filters.http.jwt_authn.v3.JwtCacheConfig':
    'jwt_cache_size jwt_max_token_size',
  'extensions.filters.http.jwt_authn.v3.RemoteJwks':
    'http_uri cache_duration async_fetch retry_policy',
  'extensions.filters.http.jwt_authn.v3.JwksAsyncFetch':
    'fast_listener failed_refetch_duration',
  'extensions.filters.http.jwt_authn.v3.JwtHeader':
    'name value_prefix',
  'extensions.filters.http.jwt_authn.v3.JwtClaimToHeader':
    'header_name claim_name',
  'extensions.filters.http.jwt_authn.v3.ProviderWithAudiences':
    'provider_name audiences',
  'extensions.filters.http.jwt_authn.v3.JwtRequirement':
    'provider_name provider_and_audiences requires_any requires_all allow_missing_or_failed allow_missing',
  'extensions.filters.http.jwt_authn.v3.JwtRequirementOrList':
    'requirements',
  'extensions.filters.http.jwt_authn.v3.JwtRequirementAndList':
    'requirements',
  'extensions.filters.http.jwt_authn.v3.RequirementRule':
    'match requires requirement_name',
  'extensions.filters.http.jwt_authn.v3.PerRouteConfig':
    'disabled requirement_name',
  'config.core.v3.HttpUri':
    'uri cluster timeout',
  'config.trace.v3.Tracing':
    'http',
  'config.trace.v3.Tracing.Http':
    'name typed_config',
  'config.trace.v3.ZipkinConfig':
    'collector_cluster collector_endpoint trace_id_128bit shared_span_context collector_endpoint_version collector_hostname split_spans_for_request trace_context_option collector_service timestamp_trace_ids',
  'config.trace.v3.OpenTelemetryConfig':
    'grpc_service http_service service_name resource_detectors sampler max_cache_size set_telemetry_sdk_resource_attributes set_service_name_resource_attribute set_instrumentation_scope',
  'config.core.v3.HttpService':
    'http_uri request_headers_to_add',
  'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing':
    'client_sampling random_sampling overall_sampling verbose max_path_tag_length custom_tags provider spawn_upstream_span operation_name request_headers_for_tags',
  'type.tracing.v3.CustomTag':
    'tag literal environment request_header metadata value',
  'type.tracing.v3.CustomTag.Literal':
    'value',
  'type.tracing.v3.CustomTag.Environment':
    'name default_value',
  'type.tracing.v3.CustomTag.Header':
    'name default_value',
  'config.route.v3.Tracing':
    'client_sampling random_sampling overall_sampling custom_tags',
  'config.route.v3.Decorator':
    'operation propagate',
  'config.core.v3.RetryPolicy':
    'retry_back_off num_retries retry_on retry_priority retry_host_predicate host_selection_retry_max_attempts',
  'config.core.v3.BackoffStrategy':
    'base_interval max_interval',
  'extensions.filters.http.ext_authz.v3.ExtAuthz':
    'grpc_service http_service transport_api_version failure_mode_allow failure_mode_allow_header_add with_request_body clear_route_cache status_on_error validate_mutations metadata_context_namespaces typed_metadata_context_namespaces route_metadata_context_namespaces route_typed_metadata_context_namespaces filter_enabled filter_enabled_metadata deny_at_disable include_peer_certificate stat_prefix bootstrap_metadata_labels_key allowed_headers disallowed_headers include_tls_session charge_cluster_response_stats encode_raw_headers decoder_header_mutation_rules enable_dynamic_metadata_ingestion filter_metadata emit_filter_state_stats max_denied_response_body_bytes enforce_response_header_limits',
  'extensions.filters.http.ext_authz.v3.BufferSettings':
    'max_request_bytes allow_partial_message pack_as_bytes',
  'extensions.filters.http.ext_authz.v3.HttpService':
    'server_uri path_prefix authorization_request authorization_response retry_policy',
  'extensions.filters.http.ext_authz.v3.AuthorizationRequest':
    'allowed_headers headers_to_add',
  'extensions.filters.http.ext_authz.v3.AuthorizationResponse':
    'allowed_upstream_headers allowed_upstream_headers_to_append allowed_client_headers allowed_client_headers_on_success dynamic_metadata_from_headers',
  'extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute':
    'disabled check_settings',
  'extensions.filters.http.ext_authz.v3.CheckSettings':
    'context_extensions disable_request_body_buffering with_request_body grpc_service http_service',
  // Lua: the fields of current Envoy (clear_route_cache, filter_context and package_(c)paths are newer than the bundled protos).
  'extensions.filters.http.lua.v3.Lua':
    'inline_code source_codes default_source_code stat_prefix clear_route_cache filter_context package_paths package_cpaths',
  'extensions.filters.http.lua.v3.LuaPerRoute':
    'disabled name source_code filter_context package_paths package_cpaths',
  'type.matcher.v3.ListStringMatcher':
    'patterns',
  'type.v3.HttpStatus':
    'code',
  'extensions.filters.http.router.v3.Router':
    'dynamic_stats start_child_span upstream_log upstream_log_options suppress_envoy_headers strict_check_headers respect_expected_rq_timeout suppress_grpc_request_failure_code_stats upstream_http_filters',
  'config.accesslog.v3.AccessLog':
    'name filter typed_config',
  'config.accesslog.v3.AccessLogFilter':
    'status_code_filter duration_filter not_health_check_filter traceable_filter runtime_filter and_filter or_filter header_filter response_flag_filter grpc_status_filter extension_filter metadata_filter log_type_filter',
  'config.accesslog.v3.ComparisonFilter': 'op value',
  'config.accesslog.v3.StatusCodeFilter': 'comparison',
  'config.accesslog.v3.DurationFilter': 'comparison',
  'config.accesslog.v3.NotHealthCheckFilter': '',
  'config.accesslog.v3.RuntimeFilter': 'runtime_key percent_sampled use_independent_randomness',
  'config.accesslog.v3.AndFilter': 'filters',
  'config.accesslog.v3.OrFilter': 'filters',
  'config.accesslog.v3.HeaderFilter': 'header',
  'config.accesslog.v3.ResponseFlagFilter': 'flags',
  'config.accesslog.v3.GrpcStatusFilter': 'statuses exclude',
  'config.core.v3.RuntimeUInt32': 'default_value runtime_key',
  'extensions.filters.network.http_connection_manager.v3.LocalReplyConfig':
    'mappers body_format',
  'extensions.filters.network.http_connection_manager.v3.ResponseMapper':
    'filter status_code body body_format_override headers_to_add',
  'extensions.access_loggers.file.v3.FileAccessLog':
    'path format json_format typed_json_format log_format',
  'extensions.access_loggers.stream.v3.StdoutAccessLog':
    'log_format',
  'extensions.access_loggers.stream.v3.StderrAccessLog':
    'log_format',
  'extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig':
    'common_config additional_request_headers_to_log additional_response_headers_to_log additional_response_trailers_to_log',
  'extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig':
    'common_config',
  'extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig':
    'log_name grpc_service transport_api_version buffer_flush_interval buffer_size_bytes filter_state_objects_to_log grpc_stream_retry_policy custom_tags',
  'extensions.transport_sockets.tls.v3.UpstreamTlsContext':
    'common_tls_context sni allow_renegotiation max_session_keys enforce_rsa_key_usage',
  'extensions.transport_sockets.tls.v3.DownstreamTlsContext':
    'common_tls_context require_client_certificate require_sni session_ticket_keys session_ticket_keys_sds_secret_config disable_stateless_session_resumption disable_stateful_session_resumption session_timeout ocsp_staple_policy full_scan_certs_on_sni_mismatch',
  'extensions.transport_sockets.tls.v3.CommonTlsContext':
    'tls_params tls_certificates tls_certificate_sds_secret_configs tls_certificate_provider_instance tls_certificate_certificate_provider tls_certificate_certificate_provider_instance validation_context validation_context_sds_secret_config combined_validation_context validation_context_certificate_provider validation_context_certificate_provider_instance alpn_protocols custom_handshaker key_log',
  'extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext':
    'default_validation_context validation_context_sds_secret_config validation_context_certificate_provider validation_context_certificate_provider_instance',
  'extensions.transport_sockets.tls.v3.CertificateValidationContext.SystemRootCerts':
    '',
  'extensions.transport_sockets.tls.v3.TlsParameters':
    'tls_minimum_protocol_version tls_maximum_protocol_version cipher_suites ecdh_curves signature_algorithms',
  'extensions.transport_sockets.tls.v3.TlsCertificate':
    'certificate_chain private_key pkcs12 watched_directory private_key_provider password ocsp_staple signed_certificate_timestamp',
  'extensions.transport_sockets.tls.v3.SubjectAltNameMatcher':
    'san_type matcher oid',
  'extensions.transport_sockets.tls.v3.CertificateValidationContext':
    'trusted_ca ca_certificate_provider_instance system_root_certs watched_directory verify_certificate_spki verify_certificate_hash match_typed_subject_alt_names match_subject_alt_names require_signed_certificate_timestamp crl allow_expired_certificate trust_chain_verification custom_validator_config only_verify_leaf_cert_crl max_verify_depth',
  'extensions.transport_sockets.tls.v3.SdsSecretConfig':
    'name sds_config',
  'extensions.transport_sockets.tls.v3.Secret':
    'name tls_certificate session_ticket_keys validation_context generic_secret',
  'config.listener.v3.Listener':
    'name address additional_addresses stat_prefix filter_chains filter_chain_matcher use_original_dst default_filter_chain per_connection_buffer_limit_bytes metadata deprecated_v1 drain_type listener_filters listener_filters_timeout continue_on_listener_filters_timeout transparent freebind socket_options tcp_fast_open_queue_length traffic_direction udp_listener_config api_listener connection_balance_config reuse_port enable_reuse_port access_log tcp_backlog_size max_connections_to_accept_per_socket_event bind_to_port internal_listener enable_mptcp ignore_global_conn_limit bypass_overload_manager',
  'config.listener.v3.Filter':
    'name typed_config config_discovery',
  'config.listener.v3.FilterChainMatch':
    'destination_port prefix_ranges address_suffix suffix_len direct_source_prefix_ranges source_type source_prefix_ranges source_ports server_names transport_protocol application_protocols',
  'config.listener.v3.FilterChain':
    'filter_chain_match filters use_proxy_proto metadata transport_socket transport_socket_connect_timeout name on_demand_configuration',
  'config.listener.v3.ListenerFilter':
    'name typed_config config_discovery filter_disabled',
  'config.endpoint.v3.ClusterLoadAssignment.Policy.DropOverload':
    'category drop_percentage',
  'config.endpoint.v3.ClusterLoadAssignment.Policy':
    'drop_overloads overprovisioning_factor endpoint_stale_after weighted_priority_health',
  'config.endpoint.v3.ClusterLoadAssignment':
    'cluster_name endpoints named_endpoints policy',
  'config.endpoint.v3.Endpoint.HealthCheckConfig':
    'port_value hostname address disable_active_health_check',
  'config.endpoint.v3.Endpoint':
    'address health_check_config hostname additional_addresses',
  'config.endpoint.v3.LbEndpoint':
    'endpoint endpoint_name health_status metadata load_balancing_weight',
  'config.endpoint.v3.LocalityLbEndpoints':
    'locality metadata lb_endpoints load_balancer_endpoints leds_cluster_locality_config load_balancing_weight priority proximity',
  'config.cluster.v3.Cluster.EdsClusterConfig':
    'eds_config service_name',
  'config.cluster.v3.Cluster.RoundRobinLbConfig':
    'slow_start_config',
  'config.cluster.v3.Cluster.LeastRequestLbConfig':
    'choice_count active_request_bias slow_start_config',
  'config.cluster.v3.Cluster.RingHashLbConfig':
    'minimum_ring_size hash_function maximum_ring_size',
  'config.cluster.v3.Cluster.MaglevLbConfig':
    'table_size',
  'config.cluster.v3.Cluster.TransportSocketMatch':
    'name match transport_socket',
  'config.cluster.v3.Cluster.CommonLbConfig':
    'healthy_panic_threshold zone_aware_lb_config locality_weighted_lb_config update_merge_window ignore_new_hosts_until_first_hc close_connections_on_host_set_change consistent_hashing_lb_config override_host_status',
  'config.cluster.v3.Cluster':
    'transport_socket_matches name alt_stat_name type cluster_type eds_cluster_config connect_timeout per_connection_buffer_limit_bytes lb_policy load_assignment health_checks max_requests_per_connection circuit_breakers upstream_http_protocol_options common_http_protocol_options http_protocol_options http2_protocol_options typed_extension_protocol_options dns_refresh_rate dns_failure_refresh_rate respect_dns_ttl dns_lookup_family dns_resolvers use_tcp_for_dns_lookups dns_resolution_config typed_dns_resolver_config wait_for_warm_on_init outlier_detection cleanup_interval upstream_bind_config lb_subset_config ring_hash_lb_config maglev_lb_config original_dst_lb_config least_request_lb_config round_robin_lb_config common_lb_config transport_socket metadata protocol_selection upstream_connection_options close_connections_on_host_health_failure ignore_health_on_host_removal filters load_balancing_policy lrs_server lrs_report_endpoint_metrics track_timeout_budgets upstream_config track_cluster_stats preconnect_policy connection_pool_per_downstream_connection',
  'config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget':
    'budget_percent min_retry_concurrency',
  'config.cluster.v3.CircuitBreakers.Thresholds':
    'priority max_connections max_pending_requests max_requests max_retries retry_budget track_remaining max_connection_pools',
  'config.cluster.v3.CircuitBreakers':
    'thresholds per_host_thresholds',
  'config.cluster.v3.OutlierDetection':
    'consecutive_5xx interval base_ejection_time max_ejection_percent enforcing_consecutive_5xx enforcing_success_rate success_rate_minimum_hosts success_rate_request_volume success_rate_stdev_factor consecutive_gateway_failure enforcing_consecutive_gateway_failure split_external_local_origin_errors consecutive_local_origin_failure enforcing_consecutive_local_origin_failure enforcing_local_origin_success_rate failure_percentage_threshold enforcing_failure_percentage enforcing_failure_percentage_local_origin failure_percentage_minimum_hosts failure_percentage_request_volume max_ejection_time max_ejection_time_jitter successful_active_health_check_uneject_host monitors always_eject_one_host',
  'extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig':
    'http_protocol_options http2_protocol_options http3_protocol_options',
  'extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig':
    'http_protocol_options http2_protocol_options http3_protocol_options',
  'extensions.upstreams.http.v3.HttpProtocolOptions.AutoHttpConfig':
    'http_protocol_options http2_protocol_options http3_protocol_options alternate_protocols_cache_options',
  'config.core.v3.UpstreamHttpProtocolOptions':
    'auto_sni auto_san_validation override_auto_sni_header',
  'config.bootstrap.v3.ClusterManager':
    'local_cluster_name outlier_detection upstream_bind_config load_stats_config enable_deferred_cluster_creation',
  'config.bootstrap.v3.ClusterManager.OutlierDetection':
    'event_log_path event_service',
  'extensions.upstreams.http.v3.HttpProtocolOptions':
    'common_http_protocol_options upstream_http_protocol_options explicit_http_config use_downstream_protocol_config auto_config http_filters header_validation_config',
  'extensions.filters.listener.tls_inspector.v3.TlsInspector':
    'enable_ja3_fingerprinting initial_read_buffer_size',
  'extensions.filters.listener.http_inspector.v3.HttpInspector': '',
  'config.route.v3.RouteMatch.GrpcRouteMatchOptions': '',
  'extensions.filters.listener.original_dst.v3.OriginalDst': '',
  'config.core.v3.RuntimeDouble': 'default_value runtime_key',
  'udpa.type.v1.TypedStruct': 'type_url value',
  'config.cluster.v3.Filter': 'name typed_config config_discovery',
  // Istio's proxy extension (istio/proxy), not Envoy's: the TCP metadata exchange
  'envoy.tcp.metadataexchange.config.MetadataExchange': 'protocol enable_discovery additional_labels',
  'config.cluster.v3.Cluster.CustomClusterType': 'name typed_config',
  'config.cluster.v3.Cluster.RefreshRate': 'base_interval max_interval',
  'config.route.v3.RouteMatch.ConnectMatcher': '',
  'config.route.v3.RouteAction.UpgradeConfig.ConnectConfig': 'proxy_protocol_config allow_post',
  'extensions.common.dynamic_forward_proxy.v3.DnsCacheConfig':
    'name dns_lookup_family dns_refresh_rate dns_min_refresh_rate host_ttl max_hosts disable_dns_refresh_on_failure dns_failure_refresh_rate dns_cache_circuit_breaker use_tcp_for_dns_lookups dns_resolution_config typed_dns_resolver_config preresolve_hostnames dns_query_timeout key_value_config',
  'extensions.common.dynamic_forward_proxy.v3.DnsCacheCircuitBreakers': 'max_pending_requests',
  'extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig':
    'resolvers use_resolvers_as_fallback filter_unroutable_families dns_resolver_options udp_max_queries',
  'extensions.network.dns_resolver.getaddrinfo.v3.GetAddrInfoDnsResolverConfig': 'num_retries num_resolver_threads',
  'extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig':
    'dns_cache_config sub_cluster_config save_upstream_address allow_dynamic_host_from_filter_state',
  'extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig': 'host_rewrite_literal host_rewrite_header',
  'extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig':
    'dns_cache_config sub_clusters_config allow_insecure_cluster_options allow_coalesced_connections',
};
