# Structural checks of every CRD file given on the command line: every schema node has a type (or is
# int-or-string), every property a description, every required name exists, preserve-unknown only on objects.
import sys, yaml
errs = []
def walk(n, path, is_prop):
    if not isinstance(n, dict):
        errs.append(f"{path}: not a mapping"); return
    if path.endswith(".metadata") and n == {"type": "object"}: return
    if "type" not in n and not n.get("x-kubernetes-int-or-string") :
        errs.append(f"{path}: no type")
    if n.get("x-kubernetes-preserve-unknown-fields") and n.get("type") != "object":
        errs.append(f"{path}: preserve-unknown without type object")
    if is_prop and "description" not in n:
        errs.append(f"{path}: no description")
    if n.get("type") == "object":
        props = n.get("properties", {})
        for r in n.get("required", []):
            if r not in props: errs.append(f"{path}: required {r} missing")
        for k, v in props.items(): walk(v, path + "." + k, True)
        if "additionalProperties" in n: walk(n["additionalProperties"], path + "{}", False)
        if not props and "additionalProperties" not in n and not n.get("x-kubernetes-preserve-unknown-fields"):
            errs.append(f"{path}: object without properties (would prune everything)")
    if n.get("type") == "array":
        if "items" not in n: errs.append(f"{path}: array without items")
        else: walk(n["items"], path + "[]", False)
    if "enum" in n and n.get("type") != "string": errs.append(f"{path}: enum on non-string")
    for k in n:
        if k not in ("description","type","format","enum","required","properties","items","additionalProperties",
                     "x-kubernetes-int-or-string","x-kubernetes-preserve-unknown-fields","anyOf","x-kubernetes-map-type",
                     "x-kubernetes-list-type","x-kubernetes-list-map-keys","minimum","maximum","default","pattern"):
            errs.append(f"{path}: unexpected key {k}")
for f in sys.argv[1:]:
    docs = list(yaml.safe_load_all(open(f)))
    assert len(docs) == 1, f
    c = docs[0]
    assert c["apiVersion"] == "apiextensions.k8s.io/v1" and c["kind"] == "CustomResourceDefinition", f
    s = c["spec"]
    assert c["metadata"]["name"] == s["names"]["plural"] + "." + s["group"], f
    assert sum(1 for v in s["versions"] if v["storage"]) == 1, f
    for v in s["versions"]:
        sch = v["schema"]["openAPIV3Schema"]
        walk(sch, f"{f}:{v['name']}", False)
        for c2 in v.get("additionalPrinterColumns", []):
            assert c2["type"] in ("string","integer","number","boolean","date"), f
        if "status" in sch["properties"]:
            assert v.get("subresources", {}).get("status") == {}, f + " status subresource"
print("\n".join(errs) if errs else f"OK {len(sys.argv)-1} files")
sys.exit(1 if errs else 0)
