"""Schema descriptions for serving.knative.dev: Service, Configuration, Revision, Route (v1, v1beta1, v1alpha1) and DomainMapping (v1beta1, v1alpha1).
The PodSpec part is exactly the subset of corev1 fields that Knative's field masks (pkg/apis/serving/fieldmask.go) let through.
Properties are listed in the order of the upstream Go struct (or proto) fields."""
from common import *

SV = "serving.knative.dev"
SV_CATS = ["all", "knative", "serving"]
LABELS = {"app.kubernetes.io/name": "knative-serving", "knative.dev/crd-install": "true", "duck.knative.dev/podspecable": "true"}
LABELS_PLAIN = {"app.kubernetes.io/name": "knative-serving", "knative.dev/crd-install": "true"}
SERVING_VERSIONS = ["v1", "v1beta1", "v1alpha1"]

def deprecations(kind, versions):
    return {v: f"serving.knative.dev/{v} {kind} is deprecated; use serving.knative.dev/v1 (same schema)"
            for v in versions}

# ---- core/v1 pieces (the subset Knative's field masks allow), in Go field order ------------------

def local_ref(desc):
    return obj(desc, [("name", s("Name of the referent (in the same namespace).")),],
               **{"x-kubernetes-map-type": "atomic"})

def key_to_path():
    return obj("KeyToPath maps a key of a Secret or ConfigMap to a file path in the volume.", [
        ("key", s("Key to project.")),
        ("path", s("Relative path of the file to map the key to; may not contain '..'.")),
        ("mode", i32("Mode bits used to set permissions on this file (octal 0000-0777 given as decimal).")),
    ], required=["key", "path"])

def items_(desc):
    return arr(desc, key_to_path())

def object_field_selector():
    return obj("Selects a field of the pod: metadata.name, metadata.namespace, metadata.labels['<KEY>'], "
               "metadata.annotations['<KEY>'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.podIP, "
               "status.podIPs. Requires the kubernetes.podspec-fieldref feature.", [
        ("apiVersion", s("Version of the schema the FieldPath is written in terms of; defaults to v1.")),
        ("fieldPath", s("Path of the field to select in the specified API version.")),
    ], required=["fieldPath"], **{"x-kubernetes-map-type": "atomic"})

def resource_field_selector():
    return obj("Selects a resource of the container: limits.cpu, limits.memory, requests.cpu, requests.memory, ... "
               "Requires the kubernetes.podspec-fieldref feature.", [
        ("containerName", s("Container name: required for volumes, optional for env vars.")),
        ("resource", s("Required: resource to select.")),
        ("divisor", quantity("Specifies the output format of the exposed resources, defaults to 1.")),
    ], required=["resource"], **{"x-kubernetes-map-type": "atomic"})

def key_selector(what):
    return obj(f"Selects a key of a {what}.", [
        ("name", s(f"Name of the {what}.")),
        ("key", s(f"The key of the {what} to select from.")),
        ("optional", b(f"Specify whether the {what} or its key must be defined.")),
    ], required=["key"], **{"x-kubernetes-map-type": "atomic"})

def env_var():
    return obj("EnvVar represents an environment variable present in a Container.", [
        ("name", s("Name of the environment variable.")),
        ("value", s("Value of the variable; $(VAR_NAME) references are expanded using previously defined variables.")),
        ("valueFrom", obj("Source for the environment variable's value; cannot be used if value is not empty.", [
            ("fieldRef", object_field_selector()),
            ("resourceFieldRef", resource_field_selector()),
            ("configMapKeyRef", key_selector("ConfigMap")),
            ("secretKeyRef", key_selector("Secret")),
        ])),
    ], required=["name"])

def env_from():
    def src(what):
        return obj(f"The {what} to select from; every key becomes an environment variable.", [
            ("name", s(f"Name of the {what}.")),
            ("optional", b(f"Specify whether the {what} must be defined.")),
        ], **{"x-kubernetes-map-type": "atomic"})
    return obj("EnvFromSource represents the source of a set of environment variables.", [
        ("prefix", s("An optional identifier to prepend to each key.")),
        ("configMapRef", src("ConfigMap")),
        ("secretRef", src("Secret")),
    ])

def container_port():
    return obj("ContainerPort is the port the container listens on. Knative allows at most one, which it routes to "
               "(default 8080); its name selects the protocol (h2c for HTTP/2 cleartext, http1 otherwise).", [
        ("name", s("Port name: http1 or h2c (empty means http1).")),
        ("containerPort", i32("Number of the port to expose on the pod's IP address (1-65535).")),
        ("protocol", en("Protocol for the port; must be TCP (the default).", ["TCP", "UDP", "SCTP"])),
    ])

def resources():
    return obj("Compute resources required by this container.", [
        ("limits", mapof("Limits describes the maximum amount of compute resources allowed (e.g. cpu: 1000m, memory: 128Mi).",
                         quantity("A resource quantity."))),
        ("requests", mapof("Requests describes the minimum amount of compute resources required.",
                           quantity("A resource quantity."))),
    ])

def volume_mount():
    return obj("VolumeMount describes a mounting of a Volume within a container.", [
        ("name", s("This must match the Name of a Volume.")),
        ("readOnly", b("Mounted read-only if true. Knative requires true for secret, configMap and projected volumes.")),
        ("mountPath", s("Path within the container at which the volume should be mounted; must not contain ':'.")),
        ("subPath", s("Path within the volume from which the container's volume should be mounted.")),
        ("mountPropagation", en("How mounts are propagated (requires kubernetes.podspec-volumes-mount-propagation).",
                                ["None", "HostToContainer", "Bidirectional"])),
    ], required=["name", "mountPath"])

def probe(which):
    handler_port = ios("Number or name of the port to access on the container; Knative defaults it to the serving port.")
    return obj(f"{which} probe of the container. Knative rewrites HTTP and TCP probes of the serving container so "
               "that queue-proxy performs them (periodSeconds 0 means aggressive probing until first ready).", [
        ("exec", obj("Exec specifies a command to execute in the container.", [
            ("command", strs("Command line to execute inside the container; exit status 0 is healthy.")),
        ])),
        ("httpGet", obj("HTTPGet specifies an HTTP GET request to perform.", [
            ("path", s("Path to access on the HTTP server.")),
            ("port", handler_port),
            ("host", s("Host name to connect to, defaults to the pod IP.")),
            ("scheme", en("Scheme to use for connecting to the host. Defaults to HTTP.", ["HTTP", "HTTPS"])),
            ("httpHeaders", arr("Custom headers to set in the request.", obj("HTTPHeader is one request header.", [
                ("name", s("The header field name.")),
                ("value", s("The header field value.")),
            ], required=["name", "value"]))),
        ])),
        ("tcpSocket", obj("TCPSocket specifies a connection to a TCP port.", [
            ("port", handler_port),
            ("host", s("Optional: host name to connect to, defaults to the pod IP.")),
        ])),
        ("grpc", obj("GRPC specifies a gRPC health check.", [
            ("port", i32("Port number of the gRPC service; Knative defaults it to the serving port.")),
            ("service", s("Service name placed in the gRPC HealthCheckRequest.")),
        ])),
        ("initialDelaySeconds", i32("Number of seconds after the container has started before probes are initiated.")),
        ("timeoutSeconds", i32("Number of seconds after which the probe times out.")),
        ("periodSeconds", i32("How often (in seconds) to perform the probe. Knative allows 0 for readiness: probe "
                              "aggressively (every 25-50 ms) until ready.")),
        ("successThreshold", i32("Minimum consecutive successes for the probe to be considered successful after failure.")),
        ("failureThreshold", i32("Minimum consecutive failures for the probe to be considered failed after success.")),
        ("terminationGracePeriodSeconds", i64("Optional duration in seconds the pod needs to terminate gracefully upon "
                                              "probe failure.")),
    ])

def seccomp():
    return obj("The seccomp options to use.", [
        ("type", en("Type of seccomp profile: Localhost, RuntimeDefault or Unconfined.", ["Localhost", "RuntimeDefault", "Unconfined"])),
        ("localhostProfile", s("Profile defined in a file on the node, when type is Localhost.")),
    ], required=["type"])

def container_security_context():
    return obj("Security options the container should be run with (Knative's allowed subset).", [
        ("capabilities", obj("The capabilities to add/drop when running containers. add requires the "
                             "kubernetes.containerspec-addcapabilities feature (or only NET_BIND_SERVICE with "
                             "secure-pod-defaults).", [
            ("add", strs("Added capabilities.")),
            ("drop", strs("Removed capabilities.")),
        ])),
        ("privileged", b("Run container in privileged mode; Knative only allows false.")),
        ("runAsUser", i64("The UID to run the entrypoint of the container process.")),
        ("runAsGroup", i64("The GID to run the entrypoint of the container process.")),
        ("runAsNonRoot", b("Indicates that the container must run as a non-root user.")),
        ("readOnlyRootFilesystem", b("Whether this container has a read-only root filesystem.")),
        ("allowPrivilegeEscalation", b("Whether a process can gain more privileges than its parent process.")),
        ("seccompProfile", seccomp()),
    ])

def container(desc):
    return obj(desc, [
        ("name", s("Name of the container. Knative generates one (user-container) when empty and only one container exists.")),
        ("image", s("Container image name. Knative resolves tags to digests when the Revision is created.")),
        ("command", strs("Entrypoint array; not executed within a shell.")),
        ("args", strs("Arguments to the entrypoint.")),
        ("workingDir", s("Container's working directory.")),
        ("ports", arr("List of ports to expose from the container (at most one for Knative).", container_port())),
        ("envFrom", arr("List of sources to populate environment variables in the container.", env_from())),
        ("env", arr("List of environment variables to set in the container.", env_var())),
        ("resources", resources()),
        ("volumeMounts", arr("Pod volumes to mount into the container's filesystem.", volume_mount())),
        ("livenessProbe", probe("Liveness")),
        ("readinessProbe", probe("Readiness")),
        ("startupProbe", probe("Startup")),
        ("terminationMessagePath", s("Path at which the file to which the container's termination message will be written "
                                     "is mounted. Defaults to /dev/termination-log.")),
        ("terminationMessagePolicy", en("Indicate how the termination message should be populated.",
                                        ["File", "FallbackToLogsOnError"])),
        ("imagePullPolicy", en("Image pull policy: Always, Never, IfNotPresent.", ["Always", "Never", "IfNotPresent"])),
        ("securityContext", container_security_context()),
    ])

def volume():
    def src_optional(what):
        return b(f"Specify whether the {what} or its keys must be defined.")
    proj = obj("Projection that may be projected along with other supported volume types.", [
        ("secret", obj("Secret projection.", [
            ("name", s("Name of the Secret.")),
            ("items", items_("Keys to project; if unspecified every key becomes a file.")),
            ("optional", src_optional("Secret")),
        ])),
        ("downwardAPI", obj("Downward API projection.", [
            ("items", arr("Items is a list of DownwardAPIVolume files.", obj("DownwardAPIVolumeFile: one file of pod information.", [
                ("path", s("Relative path name of the file to be created.")),
                ("fieldRef", object_field_selector()),
                ("resourceFieldRef", resource_field_selector()),
                ("mode", i32("Mode bits used to set permissions on this file.")),
            ], required=["path"]))),
        ])),
        ("configMap", obj("ConfigMap projection.", [
            ("name", s("Name of the ConfigMap.")),
            ("items", items_("Keys to project; if unspecified every key becomes a file.")),
            ("optional", src_optional("ConfigMap")),
        ])),
        ("serviceAccountToken", obj("Projection of a service account token.", [
            ("audience", s("Intended audience of the token.")),
            ("expirationSeconds", i64("Requested duration of validity of the service account token.")),
            ("path", s("Path relative to the mount point of the file to project the token into.")),
        ], required=["path"])),
    ])
    return obj("Volume represents a named volume in a pod (Knative's allowed subset of volume sources).", [
        ("name", s("Name of the volume; must be a DNS_LABEL and unique within the pod.")),
        ("hostPath", obj("HostPath (requires kubernetes.podspec-volumes-hostpath).", [
            ("path", s("Path of the directory on the host.")),
            ("type", s("Type for HostPath Volume; defaults to \"\".")),
        ], required=["path"])),
        ("emptyDir", obj("EmptyDir: a temporary directory that shares a pod's lifetime (requires "
                         "kubernetes.podspec-emptydir, enabled by default).", [
            ("medium", s("What type of storage medium should back this directory: \"\" or Memory.")),
            ("sizeLimit", quantity("Total amount of local storage required for this EmptyDir volume.")),
        ])),
        ("secret", obj("Secret represents a secret that should populate this volume.", [
            ("secretName", s("Name of the secret in the pod's namespace to use.")),
            ("items", items_("Keys to project; if unspecified every key becomes a file.")),
            ("defaultMode", i32("Mode bits used to set permissions on created files by default.")),
            ("optional", src_optional("Secret")),
        ])),
        ("persistentVolumeClaim", obj("A reference to a PersistentVolumeClaim in the same namespace (requires "
                                      "kubernetes.podspec-persistent-volume-claim).", [
            ("claimName", s("ClaimName is the name of a PersistentVolumeClaim in the same namespace.")),
            ("readOnly", b("Will force the ReadOnly setting in VolumeMounts.")),
        ], required=["claimName"])),
        ("configMap", obj("ConfigMap represents a configMap that should populate this volume.", [
            ("name", s("Name of the ConfigMap.")),
            ("items", items_("Keys to project; if unspecified every key becomes a file.")),
            ("defaultMode", i32("Mode bits used to set permissions on created files by default.")),
            ("optional", src_optional("ConfigMap")),
        ])),
        ("projected", obj("Items for all-in-one resources: secrets, configmaps, downward API and service account tokens.", [
            ("sources", arr("List of volume projections.", proj)),
            ("defaultMode", i32("Mode bits used to set permissions on created files by default.")),
        ])),
        ("csi", obj("CSI ephemeral volume (requires kubernetes.podspec-volumes-csi).", [
            ("driver", s("Name of the CSI driver that handles this volume.")),
            ("readOnly", b("Specifies a read-only configuration for the volume.")),
            ("fsType", s("Filesystem type to mount.")),
            ("volumeAttributes", smap("Driver-specific properties passed to the CSI driver.")),
            ("nodePublishSecretRef", local_ref("Reference to the secret object with sensitive information for the driver.")),
        ], required=["driver"])),
        ("ephemeral", free("Generic ephemeral volume backed by a PersistentVolumeClaim template (requires "
                           "kubernetes.podspec-volumes-ephemeral); its claim template is the full PVC spec, so it is "
                           "preserved as-is.")),
        ("image", obj("Image volume: an OCI image's content (requires kubernetes.podspec-volumes-image).", [
            ("reference", s("Image or artifact reference to be used.")),
            ("pullPolicy", en("Policy for pulling OCI objects.", ["Always", "Never", "IfNotPresent"])),
        ])),
    ], required=["name"])

def pod_security_context():
    return obj("Pod-level security attributes (requires kubernetes.podspec-securitycontext, or secure-pod-defaults "
               "which only sets seccompProfile).", [
        ("runAsUser", i64("The UID to run the entrypoint of the container process.")),
        ("runAsGroup", i64("The GID to run the entrypoint of the container process.")),
        ("runAsNonRoot", b("Indicates that the container must run as a non-root user.")),
        ("supplementalGroups", arr("Groups applied to the first process run in each container.",
                                   {"type": "integer", "format": "int64"})),
        ("fsGroup", i64("A special supplemental group that applies to all containers in a pod.")),
        ("seccompProfile", seccomp()),
    ])

def revision_spec_props():
    toleration = obj("The pod this Toleration is attached to tolerates any taint that matches key, value and effect.", [
        ("key", s("The taint key that the toleration applies to; empty means match all taint keys.")),
        ("operator", en("Operator represents a key's relationship to the value.", ["Exists", "Equal"])),
        ("value", s("The taint value the toleration matches to.")),
        ("effect", en("The taint effect to match; empty means all.", ["NoSchedule", "PreferNoSchedule", "NoExecute"])),
        ("tolerationSeconds", i64("How long the toleration tolerates a NoExecute taint.")),
    ])
    return [
        ("volumes", arr("List of volumes that can be mounted by containers belonging to the pod.", volume())),
        ("initContainers", arr("Init containers run before the serving containers (requires "
                               "kubernetes.podspec-init-containers).", container("An init container."))),
        ("containers", arr("The containers of the revision: exactly one serving container (the one with a port) "
                           "plus, with multi-container support, sidecars.", container("A container of the revision."))),
        ("dnsPolicy", en("DNS policy for the pod (requires kubernetes.podspec-dnspolicy).",
                         ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"])),
        ("nodeSelector", smap("Selector which must match a node's labels (requires kubernetes.podspec-nodeselector).")),
        ("serviceAccountName", s("Name of the ServiceAccount to use to run this pod.")),
        ("automountServiceAccountToken", b("Whether a service account token should be mounted; Knative only allows false.")),
        ("hostNetwork", b("Host networking requested for this pod (requires kubernetes.podspec-hostnetwork).")),
        ("hostPID", b("Use the host's pid namespace (requires kubernetes.podspec-hostpid).")),
        ("hostIPC", b("Use the host's ipc namespace (requires kubernetes.podspec-hostipc).")),
        ("shareProcessNamespace", b("Share a single process namespace between all containers (requires "
                                    "kubernetes.podspec-shareprocessnamespace).")),
        ("securityContext", pod_security_context()),
        ("imagePullSecrets", arr("References to secrets for pulling the images.",
                                 local_ref("A reference to an image pull Secret."))),
        ("affinity", free("The pod's scheduling constraints (requires kubernetes.podspec-affinity); the Kubernetes "
                          "Affinity type is large and Knative passes it to the Deployment untouched, so it is preserved "
                          "as-is.")),
        ("schedulerName", s("The scheduler to dispatch the pod (requires kubernetes.podspec-schedulername).")),
        ("tolerations", arr("The pod's tolerations (requires kubernetes.podspec-tolerations).", toleration)),
        ("hostAliases", arr("Entries added to the pod's hosts file (requires kubernetes.podspec-hostaliases).",
                            obj("HostAlias holds the mapping between IP and hostnames.", [
                                ("ip", s("IP address of the host file entry.")),
                                ("hostnames", strs("Hostnames for the above IP address.")),
                            ], required=["ip"]))),
        ("priorityClassName", s("The pod's priority class (requires kubernetes.podspec-priorityclassname).")),
        ("dnsConfig", obj("DNS parameters of the pod (requires kubernetes.podspec-dnsconfig).", [
            ("nameservers", strs("A list of DNS name server IP addresses.")),
            ("searches", strs("A list of DNS search domains for host-name lookup.")),
            ("options", arr("A list of DNS resolver options.", obj("PodDNSConfigOption is one resolver option.", [
                ("name", s("Option name.")),
                ("value", s("Option value.")),
            ]))),
        ])),
        ("runtimeClassName", s("The RuntimeClass used to run this pod (requires kubernetes.podspec-runtimeclassname).")),
        ("enableServiceLinks", b("Whether information about services should be injected into the pod's environment "
                                 "variables; Knative defaults it to false.")),
        ("topologySpreadConstraints", arr("How the pods are spread across topology domains (requires "
                                          "kubernetes.podspec-topologyspreadconstraints); preserved as-is.",
                                          free("A TopologySpreadConstraint."))),
        # Knative's own fields, after the inlined PodSpec as in the Go struct.
        ("containerConcurrency", i64("ContainerConcurrency is the maximum number of in-flight requests per replica; "
                                     "0 means unlimited (default from config-defaults container-concurrency).")),
        ("timeoutSeconds", i64("TimeoutSeconds is the maximum duration in seconds a request may take before the response "
                               "must be complete (default from config-defaults revision-timeout-seconds, 300).")),
        ("responseStartTimeoutSeconds", i64("ResponseStartTimeoutSeconds is the maximum duration in seconds that the "
                                            "request routing layer waits for the first byte of the response.")),
        ("idleTimeoutSeconds", i64("IdleTimeoutSeconds is the maximum duration in seconds a request may stay open "
                                   "without receiving any bytes from the app.")),
    ]

def revision_spec(desc):
    return obj(desc, revision_spec_props(), required=["containers"])

def template_metadata():
    return obj("Metadata of the Revisions stamped from this template: labels and annotations (e.g. "
               "autoscaling.knative.dev/*) are copied; name, when set, names the Revision (it must be prefixed by the "
               "Configuration or Service name).", [
        ("name", s("Name of the Revision to create; must be unique for each change of the template.")),
        ("generateName", s("Prefix for a generated Revision name (not allowed by Knative's webhook).")),
        ("namespace", s("Namespace: must be empty or equal to the parent's.")),
        ("labels", smap("Labels copied onto the Revision.")),
        ("annotations", smap("Annotations copied onto the Revision.")),
        ("finalizers", strs("Finalizers (not allowed by Knative's webhook).")),
    ], **{"x-kubernetes-preserve-unknown-fields": True})

def template():
    return obj("Template holds the latest specification for the Revision to be stamped out.", [
        ("metadata", template_metadata()),
        ("spec", revision_spec("RevisionSpec holds the desired state of the Revision (from the client).")),
    ])

def traffic_target(in_status):
    where = "status" if in_status else "spec"
    return obj("TrafficTarget holds a single entry of the routing table.", [
        ("tag", s("Tag is optionally used to expose a dedicated URL for referencing this target exclusively "
                  "(<tag>-<route host>).")),
        ("revisionName", s("RevisionName of a specific revision to which to send this portion of traffic; "
                           "mutually exclusive with configurationName.")),
        ("configurationName", s("ConfigurationName of a configuration to whose latest ready revision this portion of "
                                "traffic is sent (not allowed on a Service, which uses latestRevision).")),
        ("latestRevision", b("LatestRevision may be set to true to track the latest ready revision of the configuration; "
                             "false requires revisionName.")),
        ("percent", i64("Percent indicates that percentage (0-100) of traffic is routed to this revision; the "
                        "percents of all targets total 100. Unset in a status entry means 0.")),
        ("url", s("URL displays the URL for accessing tagged targets; only set in status" +
                  (" (the tag's URL)." if in_status else ", rejected in spec."))),
    ])

def addressable():
    return obj("Address holds the information needed for a Route to be the target of an event (cluster-local URL).", [
        ("name", s("Name is the name of the address.")),
        ("url", s("URL is the cluster-local URL, e.g. http://<name>.<ns>.svc.cluster.local.")),
        ("CACerts", s("CACerts is the Certification Authority (CA) certificates in PEM format that the receiver trusts.")),
        ("audience", s("Audience is the OIDC audience for this address.")),
    ])

def config_status_fields():
    return [
        ("latestReadyRevisionName", s("LatestReadyRevisionName holds the name of the latest Revision stamped out from "
                                      "this Configuration that has had its Ready condition become True.")),
        ("latestCreatedRevisionName", s("LatestCreatedRevisionName is the last revision that was created from this "
                                        "Configuration; it might not be ready yet.")),
    ]

def route_status_fields():
    return [
        ("url", s("URL holds the url that will distribute traffic over the provided traffic targets, "
                  "e.g. http://<route>.<ns>.<domain>.")),
        ("address", addressable()),
        ("traffic", arr("Traffic holds the configured traffic distribution, with revision names resolved.",
                        traffic_target(True))),
    ]

# ---- kinds -------------------------------------------------------------------------------------

def service():
    spec = obj("ServiceSpec represents the configuration for the Service object: a Configuration's template "
               "plus a Route's traffic (both inlined).", [
        ("template", template()),
        ("traffic", arr("Traffic specifies how to distribute traffic over a collection of revisions and configurations; "
                        "default is 100% to the latest ready revision.", traffic_target(False))),
    ])
    status = obj("ServiceStatus represents the current state of the Service. Conditions: Ready, ConfigurationsReady, "
                 "RoutesReady.", duck_status_props() + config_status_fields() + route_status_fields())
    schema = top("Service (ksvc) manages the whole lifecycle of a workload: it owns a Configuration and a Route of the "
                 "same name and mirrors their status.", spec, status)
    cols = [col("URL", "string", ".status.url"), col("LatestCreated", "string", ".status.latestCreatedRevisionName"),
            col("LatestReady", "string", ".status.latestReadyRevisionName")] + ready_cols()
    return crd(SV, "Service", "services", "service", ["kservice", "ksvc"], SV_CATS, SERVING_VERSIONS, schema, cols,
               deprecated=deprecations("Service", SERVING_VERSIONS[1:]), annotations=LABELS, conversion_none=True)

def configuration():
    spec = obj("ConfigurationSpec holds the desired state of the Configuration (from the client).", [
        ("template", template()),
    ])
    status = obj("ConfigurationStatus communicates the observed state of the Configuration. Conditions: Ready.",
                 duck_status_props() + config_status_fields())
    schema = top("Configuration represents the \"floating HEAD\" of a linear history of Revisions: each change of its "
                 "template stamps out a new Revision.", spec, status)
    cols = [col("LatestCreated", "string", ".status.latestCreatedRevisionName"),
            col("LatestReady", "string", ".status.latestReadyRevisionName")] + ready_cols()
    return crd(SV, "Configuration", "configurations", "configuration", ["config", "cfg", "kcfg"], SV_CATS,
               SERVING_VERSIONS, schema, cols, deprecated=deprecations("Configuration", SERVING_VERSIONS[1:]),
               annotations=LABELS, conversion_none=True)

def revision():
    cs = obj("ContainerStatus holds the information of a container's image.", [
        ("name", s("Name of the container.")),
        ("imageDigest", s("ImageDigest is the image reference resolved to a digest (image@sha256:...).")),
    ])
    status = obj("RevisionStatus communicates the observed state of the Revision. Conditions: Ready, "
                 "ResourcesAvailable, ContainerHealthy, Active.", duck_status_props() + [
        ("logUrl", s("LogURL specifies the generated logging url for this particular revision based on the revision url "
                     "template in config-observability.")),
        ("containerStatuses", arr("ContainerStatuses is the digest of each serving/sidecar container image.", cs)),
        ("initContainerStatuses", arr("InitContainerStatuses is the digest of each init container image.", cs)),
        ("actualReplicas", i32("ActualReplicas reflects the amount of ready pods running this revision.")),
        ("desiredReplicas", i32("DesiredReplicas reflects the desired amount of pods running this revision.")),
    ])
    schema = top("Revision is an immutable snapshot of code and configuration, stamped out by a Configuration.",
                 revision_spec("RevisionSpec holds the desired state of the Revision (from the client)."), status)
    cols = [col("Config Name", "string", ".metadata.labels['serving\\.knative\\.dev/configuration']"),
            col("Generation", "string", ".metadata.labels['serving\\.knative\\.dev/configurationGeneration']",
                description="The configuration generation that created this revision (an integer kept as a label "
                            "string)."),
            ] + ready_cols() + [
            col("Actual Replicas", "integer", ".status.actualReplicas"),
            col("Desired Replicas", "integer", ".status.desiredReplicas")]
    return crd(SV, "Revision", "revisions", "revision", ["rev"], SV_CATS, SERVING_VERSIONS, schema, cols,
               deprecated=deprecations("Revision", SERVING_VERSIONS[1:]), annotations=LABELS_PLAIN,
               conversion_none=True)

def route():
    spec = obj("RouteSpec holds the desired state of the Route (from the client).", [
        ("traffic", arr("Traffic specifies how to distribute traffic over a collection of revisions and configurations.",
                        traffic_target(False))),
    ])
    status = obj("RouteStatus communicates the observed state of the Route. Conditions: Ready, AllTrafficAssigned, "
                 "IngressReady, CertificateProvisioned.", duck_status_props() + route_status_fields())
    schema = top("Route is responsible for configuring ingress over a collection of Revisions: it owns a KIngress "
                 "and a placeholder Kubernetes Service of its name.", spec, status)
    cols = [col("URL", "string", ".status.url")] + ready_cols()
    return crd(SV, "Route", "routes", "route", ["rt"], SV_CATS, SERVING_VERSIONS, schema, cols,
               deprecated=deprecations("Route", SERVING_VERSIONS[1:]), annotations=LABELS_PLAIN, conversion_none=True)

def domainmapping():
    ref = obj("Ref specifies which Addressable the domain maps to (a Knative Service by default).", [
        ("kind", s("Kind of the referent, e.g. Service.")),
        ("namespace", s("Namespace of the referent; must equal the DomainMapping's namespace (defaulted to it).")),
        ("name", s("Name of the referent.")),
        ("apiVersion", s("API version of the referent, e.g. serving.knative.dev/v1.")),
        ("group", s("Group of the referent (used when apiVersion is empty, with the kreference-group feature).")),
        ("address", s("Address selects one of the referent's named addresses (status.addresses[].name).")),
    ], required=["kind", "name", "apiVersion"])
    spec = obj("DomainMappingSpec describes the DomainMapping the user wishes to exist.", [
        ("ref", ref),
        ("tls", obj("TLS allows the DomainMapping to terminate TLS traffic with an existing Secret.", [
            ("secretName", s("SecretName is the name of the existing Secret, in the DomainMapping's namespace, "
                             "used to terminate TLS.")),
        ], required=["secretName"])),
    ], required=["ref"])
    status = obj("DomainMappingStatus describes the current state of the DomainMapping. Conditions: Ready, "
                 "ReferenceResolved, IngressReady, DomainClaimed, CertificateProvisioned.", duck_status_props() + [
        ("url", s("URL is the URL of this DomainMapping: http(s)://<metadata.name>.")),
        ("address", addressable()),
    ])
    schema = top("DomainMapping maps a custom domain (its metadata.name) to an Addressable, usually a Knative Service.",
                 spec, status)
    cols = [col("URL", "string", ".status.url")] + ready_cols()
    return crd(SV, "DomainMapping", "domainmappings", "domainmapping", ["dm"], SV_CATS, ["v1beta1", "v1alpha1"], schema,
               cols, deprecated={"v1alpha1": "serving.knative.dev/v1alpha1 DomainMapping is deprecated; use "
                                             "serving.knative.dev/v1beta1 (same schema)"},
               annotations=LABELS_PLAIN, conversion_none=True)

ALL = [service, configuration, revision, route, domainmapping]
