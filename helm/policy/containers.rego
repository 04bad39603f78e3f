# Per-container rules: health, resources, images and the security context.
package main

deny contains msg if {
	some r in workloads
	r.kind in long_running_kinds
	some c in pod_spec(r).containers
	some probe in ["livenessProbe", "readinessProbe"]
	not c[probe]
	msg := sprintf("%s: container %q has no %s", [id(r), c.name, probe])
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	some kind in ["requests", "limits"]
	some resource in ["cpu", "memory"]
	not c.resources[kind][resource]
	msg := sprintf("%s: container %q sets no %s.%s", [id(r), c.name, kind, resource])
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	problem := image_problem(c.image)
	msg := sprintf("%s: container %q image %q %s", [id(r), c.name, c.image, problem])
}

# The last path segment holds the tag (a registry host may carry a port: host:5000/x).
_image_name(image) := segment if {
	segments := split(image, "/")
	segment := segments[count(segments) - 1]
}

image_problem(image) := "has no tag" if {
	not contains(image, "@")
	not contains(_image_name(image), ":")
}

image_problem(image) := "uses the mutable tag latest" if {
	not contains(image, "@")
	endswith(_image_name(image), ":latest")
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	effective_security(r, c, "runAsNonRoot") != true
	msg := sprintf("%s: container %q may run as root (runAsNonRoot is not true)", [id(r), c.name])
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	effective_security(r, c, "runAsUser") == 0
	msg := sprintf("%s: container %q runs as uid 0", [id(r), c.name])
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	container_security(c, "readOnlyRootFilesystem") != true
	msg := sprintf("%s: container %q has a writable root filesystem", [id(r), c.name])
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	container_security(c, "allowPrivilegeEscalation") != false
	msg := sprintf("%s: container %q allows privilege escalation", [id(r), c.name])
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	container_security(c, "privileged") == true
	msg := sprintf("%s: container %q is privileged", [id(r), c.name])
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	not "ALL" in object.get(object.get(object.get(c, "securityContext", {}), "capabilities", {}), "drop", [])
	msg := sprintf("%s: container %q does not drop ALL capabilities", [id(r), c.name])
}

deny contains msg if {
	some r in workloads
	some c in all_containers(r)
	not _confined(r, c)
	msg := sprintf("%s: container %q has no seccomp profile (RuntimeDefault)", [id(r), c.name])
}

_confined(r, c) if {
	profile := effective_security(r, c, "seccompProfile")
	is_object(profile)
	profile.type in {"RuntimeDefault", "Localhost"}
}
