package main

test_missing_liveness_probe_is_denied if {
	denied(
		with_patched_deployment([{"op": "remove", "path": concat("", [container_path, "/livenessProbe"])}]),
		"has no livenessProbe",
	)
}

test_missing_readiness_probe_is_denied if {
	denied(
		with_patched_deployment([{"op": "remove", "path": concat("", [container_path, "/readinessProbe"])}]),
		"has no readinessProbe",
	)
}

test_a_job_needs_no_probes if {
	job := {
		"apiVersion": "batch/v1",
		"kind": "Job",
		"metadata": {"name": "hearth-migrate"},
		"spec": {"template": json.patch(good_deployment.spec.template, [
			{"op": "remove", "path": "/spec/containers/0/livenessProbe"},
			{"op": "remove", "path": "/spec/containers/0/readinessProbe"},
		])},
	}
	results := deny with input as rendering(array.concat(good_objects, [job]))
	count(results) == 0
}

test_missing_memory_limit_is_denied if {
	denied(
		with_patched_deployment([{"op": "remove", "path": concat("", [container_path, "/resources/limits/memory"])}]),
		"sets no limits.memory",
	)
}

test_missing_requests_are_denied if {
	denied(
		with_patched_deployment([{"op": "remove", "path": concat("", [container_path, "/resources/requests"])}]),
		"sets no requests.cpu",
	)
}

test_init_containers_are_checked_too if {
	init := json.patch(good_container, [{"op": "remove", "path": "/resources"}])
	denied(
		with_patched_deployment([{"op": "add", "path": "/spec/template/spec/initContainers", "value": [init]}]),
		"sets no requests.memory",
	)
}

test_latest_tag_is_denied if {
	denied(
		with_patched_deployment([{"op": "replace", "path": concat("", [container_path, "/image"]), "value": "hearth/hearth-accounts:latest"}]),
		"uses the mutable tag latest",
	)
}

test_untagged_image_behind_a_registry_port_is_denied if {
	denied(
		with_patched_deployment([{"op": "replace", "path": concat("", [container_path, "/image"]), "value": "10.250.0.1:5000/hearth/hearth-accounts"}]),
		"has no tag",
	)
}

test_image_pinned_by_digest_passes if {
	digest := "hearth/hearth-accounts@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	results := deny with input as with_patched_deployment([{"op": "replace", "path": concat("", [container_path, "/image"]), "value": digest}])
	count(results) == 0
}

test_missing_run_as_non_root_is_denied if {
	denied(
		with_patched_deployment([{"op": "remove", "path": "/spec/template/spec/securityContext/runAsNonRoot"}]),
		"may run as root",
	)
}

test_container_overriding_run_as_non_root_is_denied if {
	denied(
		with_patched_deployment([{"op": "add", "path": concat("", [container_path, "/securityContext/runAsNonRoot"]), "value": false}]),
		"may run as root",
	)
}

test_uid_zero_is_denied if {
	denied(
		with_patched_deployment([{"op": "add", "path": concat("", [container_path, "/securityContext/runAsUser"]), "value": 0}]),
		"runs as uid 0",
	)
}

test_writable_root_filesystem_is_denied if {
	denied(
		with_patched_deployment([{"op": "replace", "path": concat("", [container_path, "/securityContext/readOnlyRootFilesystem"]), "value": false}]),
		"writable root filesystem",
	)
}

test_unset_privilege_escalation_is_denied if {
	# Kubernetes allows escalation unless told otherwise.
	denied(
		with_patched_deployment([{"op": "remove", "path": concat("", [container_path, "/securityContext/allowPrivilegeEscalation"])}]),
		"allows privilege escalation",
	)
}

test_privileged_container_is_denied if {
	denied(
		with_patched_deployment([{"op": "add", "path": concat("", [container_path, "/securityContext/privileged"]), "value": true}]),
		"is privileged",
	)
}

test_capabilities_not_dropped_is_denied if {
	denied(
		with_patched_deployment([{"op": "replace", "path": concat("", [container_path, "/securityContext/capabilities/drop"]), "value": ["NET_RAW"]}]),
		"does not drop ALL capabilities",
	)
}

test_missing_seccomp_profile_is_denied if {
	denied(
		with_patched_deployment([{"op": "remove", "path": "/spec/template/spec/securityContext/seccompProfile"}]),
		"no seccomp profile",
	)
}

test_unconfined_seccomp_on_the_container_is_denied if {
	denied(
		with_patched_deployment([{"op": "add", "path": concat("", [container_path, "/securityContext/seccompProfile"]), "value": {"type": "Unconfined"}}]),
		"no seccomp profile",
	)
}
