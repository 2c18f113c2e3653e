# Validates every object in the example files against our CRD schemas: unknown fields (which the API server would
# prune), types, enums and required properties. ConfigMaps: data values must be strings.
import re, sys, glob, yaml
crds = {}
for f in glob.glob(sys.argv[1] + "/*.yaml") + glob.glob(sys.argv[1] + "/istio/*.yaml"):
    c = yaml.safe_load(open(f))
    for v in c["spec"]["versions"]:
        crds[(c["spec"]["group"] + "/" + v["name"], c["spec"]["names"]["kind"])] = v["schema"]["openAPIV3Schema"]
errs = []
def check(node, sch, path):
    if sch.get("x-kubernetes-int-or-string"):
        if not isinstance(node, (int, str)): errs.append(f"{path}: want int-or-string")
        elif isinstance(node, str) and "pattern" in sch and not re.search(sch["pattern"], node):
            errs.append(f"{path}: {node!r} does not match {sch['pattern']}")
        return
    t = sch.get("type")
    if t == "object":
        if not isinstance(node, dict): errs.append(f"{path}: want object"); return
        for r in sch.get("required", []):
            if r not in node: errs.append(f"{path}: missing required {r}")
        props = sch.get("properties", {})
        for k, v in node.items():
            if k in props: check(v, props[k], f"{path}.{k}")
            elif "additionalProperties" in sch: check(v, sch["additionalProperties"], f"{path}.{k}")
            elif not sch.get("x-kubernetes-preserve-unknown-fields") and not path.endswith(".metadata") and path != "":
                errs.append(f"{path}.{k}: unknown field (would be pruned)")
    elif t == "array":
        if not isinstance(node, list): errs.append(f"{path}: want array"); return
        for i, x in enumerate(node): check(x, sch["items"], f"{path}[{i}]")
    elif t == "string":
        if not isinstance(node, str): errs.append(f"{path}: want string, got {node!r}")
        elif "enum" in sch and node not in sch["enum"]: errs.append(f"{path}: {node} not in {sch['enum']}")
    elif t == "integer":
        if not isinstance(node, int) or isinstance(node, bool): errs.append(f"{path}: want integer")
    elif t == "boolean":
        if not isinstance(node, bool): errs.append(f"{path}: want boolean")
    elif t == "number":
        if not isinstance(node, (int, float)): errs.append(f"{path}: want number")
n = 0
for f in sorted(glob.glob(sys.argv[2] + "/**/*.yaml", recursive=True)):
    text = open(f).read()
    if not text.startswith("# Tutorial:"): errs.append(f"{f}: no tutorial header")
    for d in yaml.safe_load_all(text):
        if d is None: continue
        n += 1
        key = (d["apiVersion"], d["kind"])
        where = f"{f}:{d['kind']}/{d['metadata']['name']}"
        if key == ("v1", "ConfigMap"):
            for k, v in d.get("data", {}).items():
                if not isinstance(v, str): errs.append(f"{where}: data.{k} is not a string")
            continue
        if key not in crds: errs.append(f"{where}: no CRD for {key}"); continue
        check(d, crds[key], "")
        if "metadata" in d and "name" not in d["metadata"]: errs.append(f"{where}: no name")
print("\n".join(errs) if errs else f"OK {n} objects")
sys.exit(1 if errs else 0)
