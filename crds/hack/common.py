# Small schema-building helpers and the Knative duck types. Each helper returns a dict whose key order is kept
# on output, so the generated YAML lists properties in the order given here.

def s(desc, **kw):
    d = {"description": desc, "type": "string"}
    d.update(kw)
    return d

def en(desc, values):
    return {"description": desc, "type": "string", "enum": list(values)}

def i32(desc, **kw):
    d = {"description": desc, "type": "integer", "format": "int32"}
    d.update(kw)
    return d

def i64(desc, **kw):
    d = {"description": desc, "type": "integer", "format": "int64"}
    d.update(kw)
    return d

def num(desc):
    return {"description": desc, "type": "number", "format": "double"}

def b(desc):
    return {"description": desc, "type": "boolean"}

def ts(desc):
    return {"description": desc, "type": "string", "format": "date-time"}

def ios(desc):
    # Structural schemas forbid `type` next to x-kubernetes-int-or-string; the anyOf documents both forms.
    return {"description": desc, "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True}

# The Kubernetes resource.Quantity grammar: a signed decimal number with an optional binary (Ki..Ei), decimal
# (n, u, m, k, M..E) or exponent suffix. Kubernetes applies a pattern only to string values.
QUANTITY_PATTERN = (r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
                    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")

def quantity(desc):
    d = ios(desc)
    d["pattern"] = QUANTITY_PATTERN
    return d

def arr(desc, items, **kw):
    d = {"description": desc, "type": "array", "items": items}
    d.update(kw)
    return d

def strs(desc):
    return arr(desc, {"type": "string"})

def smap(desc):
    return {"description": desc, "type": "object", "additionalProperties": {"type": "string"}}

def mapof(desc, value):
    return {"description": desc, "type": "object", "additionalProperties": value}

def obj(desc, props, required=None, **kw):
    d = {"description": desc, "type": "object"}
    if required:
        d["required"] = list(required)
    d["properties"] = dict(props)
    d.update(kw)
    return d

def free(desc):
    return {"description": desc, "type": "object", "x-kubernetes-preserve-unknown-fields": True}

# ---- Knative duck types -------------------------------------------------------------------------

def condition():
    return obj("Condition defines a readiness condition for a Knative resource (knative.dev/pkg/apis.Condition).", [
        ("type", s("Type of condition, e.g. Ready.")),
        ("status", en("Status of the condition: True, False or Unknown.", ["True", "False", "Unknown"])),
        ("severity", s("Severity with which to treat failures of this type of condition. Empty means Error; "
                       "the other values are Warning and Info. Only non-terminal conditions carry a severity.")),
        ("lastTransitionTime", ts("LastTransitionTime is the last time the condition transitioned from one status to another "
                                  "(RFC 3339, second precision). It is volatile: it does not count as a semantic change.")),
        ("reason", s("The reason for the condition's last transition, a CamelCase word.")),
        ("message", s("A human readable message indicating details about the transition.")),
    ], required=["type", "status"])

def duck_status_props():
    return [
        ("observedGeneration", i64("ObservedGeneration is the metadata.generation last processed by the controller.")),
        ("conditions", arr("Conditions the latest available observations of a resource's current state.", condition())),
        ("annotations", smap("Annotations is additional status information the controller records; "
                             "not part of the resource's declared state.")),
    ]

def object_reference(desc):
    # corev1.ObjectReference, Go field order.
    return obj(desc, [
        ("kind", s("Kind of the referent.")),
        ("namespace", s("Namespace of the referent.")),
        ("name", s("Name of the referent.")),
        ("uid", s("UID of the referent.")),
        ("apiVersion", s("API version of the referent.")),
        ("resourceVersion", s("Specific resourceVersion to which this reference is made, if any.")),
        ("fieldPath", s("If referring to a piece of an object instead of an entire object, the JSON path to that piece.")),
    ], **{"x-kubernetes-map-type": "atomic"})

def protocol_type(desc):
    return en(desc, ["http1", "h2c"])

def top(kind_desc, spec, status=None, spec_required=False):
    props = [
        ("apiVersion", s("APIVersion defines the versioned schema of this representation of an object.")),
        ("kind", s("Kind is a string value representing the REST resource this object represents.")),
        ("metadata", {"type": "object"}),
        ("spec", spec),
    ]
    if status is not None:
        props.append(("status", status))
    d = {"description": kind_desc, "type": "object"}
    if spec_required:
        d["required"] = ["spec"]
    d["properties"] = dict(props)
    return d

READY = ".status.conditions[?(@.type=='Ready')]"

def col(name, typ, path, **kw):
    d = {"name": name, "type": typ, "jsonPath": path}
    d.update(kw)
    return d

def ready_cols():
    return [col("Ready", "string", READY + ".status"), col("Reason", "string", READY + ".reason")]

def crd(group, kind, plural, singular, short, categories, versions, schema, columns, scope="Namespaced",
        status=True, storage=None, deprecated=None, annotations=None, conversion_none=False):
    storage = storage or versions[0]
    vers = []
    for v in versions:
        ver = {"name": v, "served": True, "storage": v == storage}
        if deprecated and v in deprecated:
            ver["deprecated"] = True
            ver["deprecationWarning"] = deprecated[v]
        if status:
            ver["subresources"] = {"status": {}}
        if columns:
            ver["additionalPrinterColumns"] = columns
        ver["schema"] = {"openAPIV3Schema": schema}
        vers.append(ver)
    names = {"kind": kind, "plural": plural, "singular": singular}
    if categories:
        names["categories"] = categories
    if short:
        names["shortNames"] = short
    md = {"name": f"{plural}.{group}"}
    md.update({"labels": annotations} if annotations else {})
    spec = {"group": group, "names": names, "scope": scope}
    if conversion_none:
        # Every served version has the same schema, so the API server only rewrites apiVersion.
        spec["conversion"] = {"strategy": "None"}
    spec["versions"] = vers
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": md,
        "spec": spec,
    }
