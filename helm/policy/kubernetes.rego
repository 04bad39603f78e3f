# Shared helpers: the policies read a whole rendering at once (`conftest test --combine`),
# because some rules (PDB, NetworkPolicy, ServiceAccount) relate one object to another.
package main

# Every object in the rendering, whatever file or document it came from.
resources contains doc if {
	some file in input
	some doc in _documents(file.contents)
	is_object(doc)
	doc.kind
}

_documents(contents) := contents if is_array(contents)

_documents(contents) := [contents] if is_object(contents)

id(r) := sprintf("%s/%s", [r.kind, r.metadata.name])

namespace(r) := object.get(r.metadata, "namespace", "")

_pod_template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# Kinds that run for ever, so must say when they are alive and ready.
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet"}

pod_template(r) := r.spec.template if r.kind in _pod_template_kinds

pod_template(r) := r.spec.jobTemplate.spec.template if r.kind == "CronJob"

pod_template(r) := r if r.kind == "Pod"

pod_spec(r) := pod_template(r).spec

pod_labels(r) := object.get(pod_template(r).metadata, "labels", {})

pod_annotations(r) := object.get(pod_template(r).metadata, "annotations", {})

workloads contains r if {
	some r in resources
	pod_spec(r)
}

all_containers(r) := array.concat(
	object.get(pod_spec(r), "containers", []),
	object.get(pod_spec(r), "initContainers", []),
)

# A securityContext field as the container sees it: its own value, else the pod's, else null.
effective_security(r, container, field) := object.get(
	object.get(container, "securityContext", {}),
	field,
	object.get(object.get(pod_spec(r), "securityContext", {}), field, null),
)

container_security(container, field) := object.get(object.get(container, "securityContext", {}), field, null)

# Label selectors as Kubernetes evaluates them (matchLabels AND every matchExpression).
selector_matches(selector, labels) if {
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every expression in object.get(selector, "matchExpressions", []) {
		_expression_matches(expression, labels)
	}
}

_expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in e.values
}

# A pod without the key matches NotIn, as in Kubernetes.
_expression_matches(e, labels) if {
	e.operator == "NotIn"
	not _label_in(labels, e.key, e.values)
}

_label_in(labels, key, values) if labels[key] in values

_expression_matches(e, labels) if {
	e.operator == "Exists"
	labels[e.key]
}

_expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not labels[e.key]
}

empty_selector(selector) if {
	count(object.get(selector, "matchLabels", {})) == 0
	count(object.get(selector, "matchExpressions", [])) == 0
}
