# Rules for workloads with more than one replica: they must survive a node drain (PDB)
# and the loss of a zone (spread over topology.kubernetes.io/zone).
package main

replicated(r) if {
	r.kind in {"Deployment", "StatefulSet"}
	object.get(r.spec, "replicas", 1) > 1
}

# An autoscaled workload may leave `replicas` unset: its HPA decides.
replicated(r) if {
	r.kind in {"Deployment", "StatefulSet"}
	some hpa in resources
	hpa.kind == "HorizontalPodAutoscaler"
	namespace(hpa) == namespace(r)
	hpa.spec.scaleTargetRef.kind == r.kind
	hpa.spec.scaleTargetRef.name == r.metadata.name
	hpa.spec.maxReplicas > 1
}

_has_pdb(r) if {
	some pdb in resources
	pdb.kind == "PodDisruptionBudget"
	namespace(pdb) == namespace(r)
	selector_matches(object.get(pdb.spec, "selector", {}), pod_labels(r))
}

deny contains msg if {
	some r in workloads
	replicated(r)
	not _has_pdb(r)
	msg := sprintf("%s: has more than one replica but no PodDisruptionBudget selects its pods", [id(r)])
}

deny contains msg if {
	some r in workloads
	replicated(r)
	not _zone_spread(r)
	msg := sprintf("%s: has more than one replica but no topologySpreadConstraint over topology.kubernetes.io/zone", [id(r)])
}

_zone_spread(r) if {
	some constraint in object.get(pod_spec(r), "topologySpreadConstraints", [])
	constraint.topologyKey == "topology.kubernetes.io/zone"
}
