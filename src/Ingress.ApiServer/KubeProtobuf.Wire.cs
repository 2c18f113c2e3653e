namespace Ingress.ApiServer;

internal static partial class KubeProtobuf
{
    /// <summary>
    /// Message descriptors of the Kubernetes protobuf wire format: field numbers, JSON names and types of
    /// the core/v1 and apps/v1 messages reachable from the kinds served as protobuf, transcribed from
    /// k8s.io/api's generated.proto (the wire contract) with apimachinery's meta types written out below.
    /// Declared dependencies first, because static fields initialise in order. Fields whose type has no
    /// descriptor here (none today) would make an object unencodable, and it is then answered as JSON.
    /// </summary>
    internal static class Wire
    {
        public static readonly Message FieldsV1 = new(new Field(1, "Raw", T.RawJson));

        public static readonly Message OwnerReference = new(
            new(1, "kind", T.String), new(3, "name", T.String), new(4, "uid", T.String), new(5, "apiVersion", T.String),
            new(6, "controller", T.Bool), new(7, "blockOwnerDeletion", T.Bool));

        public static readonly Message ManagedFieldsEntry = new(
            new(1, "manager", T.String), new(2, "operation", T.String), new(3, "apiVersion", T.String), new(4, "time", T.Time),
            new(6, "fieldsType", T.String), new(7, "fieldsV1", T.Message, FieldsV1), new(8, "subresource", T.String));

        public static readonly Message ObjectMeta = new(
            new(1, "name", T.String), new(2, "generateName", T.String), new(3, "namespace", T.String), new(4, "selfLink", T.String),
            new(5, "uid", T.String), new(6, "resourceVersion", T.String), new(7, "generation", T.Int64),
            new(8, "creationTimestamp", T.Time), new(9, "deletionTimestamp", T.Time), new(10, "deletionGracePeriodSeconds", T.Int64),
            new(11, "labels", T.MapString), new(12, "annotations", T.MapString), new(13, "ownerReferences", T.RepeatedMessage, OwnerReference),
            new(14, "finalizers", T.RepeatedString), new(17, "managedFields", T.RepeatedMessage, ManagedFieldsEntry));

        public static readonly Message ListMeta = new(
            new Field(1, "selfLink", T.String), new(2, "resourceVersion", T.String), new(3, "continue", T.String), new(4, "remainingItemCount", T.Int64));

        public static readonly Message LabelSelectorRequirement = new(
            new Field(1, "key", T.String), new(2, "operator", T.String), new(3, "values", T.RepeatedString));

        public static readonly Message LabelSelector = new(
            new Field(1, "matchLabels", T.MapString), new(2, "matchExpressions", T.RepeatedMessage, LabelSelectorRequirement));

        public static readonly Message Condition = new(
            new(1, "type", T.String), new(2, "status", T.String), new(3, "observedGeneration", T.Int64),
            new(4, "lastTransitionTime", T.Time), new(5, "reason", T.String), new(6, "message", T.String));

        public static readonly Message TypeMeta = new(new Field(1, "apiVersion", T.String), new Field(2, "kind", T.String));

        public static readonly Message ConfigMap = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "data", T.MapString),
            new(3, "binaryData", T.MapBytes),
            new(4, "immutable", T.Bool));
        public static readonly Message Secret = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "data", T.MapBytes),
            new(3, "type", T.String),
            new(4, "stringData", T.MapString),
            new(5, "immutable", T.Bool));
        public static readonly Message NamespaceSpec = new(
            new Field(1, "finalizers", T.RepeatedString));
        public static readonly Message NamespaceCondition = new(
            new(1, "type", T.String),
            new(2, "status", T.String),
            new(4, "lastTransitionTime", T.Time),
            new(5, "reason", T.String),
            new(6, "message", T.String));
        public static readonly Message NamespaceStatus = new(
            new(1, "phase", T.String),
            new(2, "conditions", T.RepeatedMessage, NamespaceCondition));
        public static readonly Message Namespace = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "spec", T.Message, NamespaceSpec),
            new(3, "status", T.Message, NamespaceStatus));
        public static readonly Message ObjectReference = new(
            new(1, "kind", T.String),
            new(2, "namespace", T.String),
            new(3, "name", T.String),
            new(4, "uid", T.String),
            new(5, "apiVersion", T.String),
            new(6, "resourceVersion", T.String),
            new(7, "fieldPath", T.String));
        public static readonly Message LocalObjectReference = new(
            new Field(1, "name", T.String));
        public static readonly Message ServiceAccount = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "secrets", T.RepeatedMessage, ObjectReference),
            new(3, "imagePullSecrets", T.RepeatedMessage, LocalObjectReference),
            new(4, "automountServiceAccountToken", T.Bool));
        public static readonly Message ServicePort = new(
            new(1, "name", T.String),
            new(2, "protocol", T.String),
            new(3, "port", T.Int32),
            new(4, "targetPort", T.IntOrString),
            new(5, "nodePort", T.Int32),
            new(6, "appProtocol", T.String));
        public static readonly Message ClientIPConfig = new(
            new Field(1, "timeoutSeconds", T.Int32));
        public static readonly Message SessionAffinityConfig = new(
            new Field(1, "clientIP", T.Message, ClientIPConfig));
        public static readonly Message ServiceSpec = new(
            new(1, "ports", T.RepeatedMessage, ServicePort),
            new(2, "selector", T.MapString),
            new(3, "clusterIP", T.String),
            new(4, "type", T.String),
            new(5, "externalIPs", T.RepeatedString),
            new(7, "sessionAffinity", T.String),
            new(8, "loadBalancerIP", T.String),
            new(9, "loadBalancerSourceRanges", T.RepeatedString),
            new(10, "externalName", T.String),
            new(11, "externalTrafficPolicy", T.String),
            new(12, "healthCheckNodePort", T.Int32),
            new(13, "publishNotReadyAddresses", T.Bool),
            new(14, "sessionAffinityConfig", T.Message, SessionAffinityConfig),
            new(17, "ipFamilyPolicy", T.String),
            new(18, "clusterIPs", T.RepeatedString),
            new(19, "ipFamilies", T.RepeatedString),
            new(20, "allocateLoadBalancerNodePorts", T.Bool),
            new(21, "loadBalancerClass", T.String),
            new(22, "internalTrafficPolicy", T.String),
            new(23, "trafficDistribution", T.String));
        public static readonly Message PortStatus = new(
            new(1, "port", T.Int32),
            new(2, "protocol", T.String),
            new(3, "error", T.String));
        public static readonly Message LoadBalancerIngress = new(
            new(1, "ip", T.String),
            new(2, "hostname", T.String),
            new(3, "ipMode", T.String),
            new(4, "ports", T.RepeatedMessage, PortStatus));
        public static readonly Message LoadBalancerStatus = new(
            new Field(1, "ingress", T.RepeatedMessage, LoadBalancerIngress));
        public static readonly Message ServiceStatus = new(
            new(1, "loadBalancer", T.Message, LoadBalancerStatus),
            new(2, "conditions", T.RepeatedMessage, Condition));
        public static readonly Message Service = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "spec", T.Message, ServiceSpec),
            new(3, "status", T.Message, ServiceStatus));
        public static readonly Message EndpointAddress = new(
            new(1, "ip", T.String),
            new(2, "targetRef", T.Message, ObjectReference),
            new(3, "hostname", T.String),
            new(4, "nodeName", T.String));
        public static readonly Message EndpointPort = new(
            new(1, "name", T.String),
            new(2, "port", T.Int32),
            new(3, "protocol", T.String),
            new(4, "appProtocol", T.String));
        public static readonly Message EndpointSubset = new(
            new(1, "addresses", T.RepeatedMessage, EndpointAddress),
            new(2, "notReadyAddresses", T.RepeatedMessage, EndpointAddress),
            new(3, "ports", T.RepeatedMessage, EndpointPort));
        public static readonly Message Endpoints = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "subsets", T.RepeatedMessage, EndpointSubset));
        public static readonly Message HostPathVolumeSource = new(
            new(1, "path", T.String),
            new(2, "type", T.String));
        public static readonly Message EmptyDirVolumeSource = new(
            new(1, "medium", T.String),
            new(2, "sizeLimit", T.Quantity),
            new(3, "mode", T.Int32));
        public static readonly Message GCEPersistentDiskVolumeSource = new(
            new(1, "pdName", T.String),
            new(2, "fsType", T.String),
            new(3, "partition", T.Int32),
            new(4, "readOnly", T.Bool));
        public static readonly Message AWSElasticBlockStoreVolumeSource = new(
            new(1, "volumeID", T.String),
            new(2, "fsType", T.String),
            new(3, "partition", T.Int32),
            new(4, "readOnly", T.Bool));
        public static readonly Message GitRepoVolumeSource = new(
            new(1, "repository", T.String),
            new(2, "revision", T.String),
            new(3, "directory", T.String));
        public static readonly Message KeyToPath = new(
            new(1, "key", T.String),
            new(2, "path", T.String),
            new(3, "mode", T.Int32),
            new(4, "user", T.Int64));
        public static readonly Message SecretVolumeSource = new(
            new(1, "secretName", T.String),
            new(2, "items", T.RepeatedMessage, KeyToPath),
            new(3, "defaultMode", T.Int32),
            new(4, "optional", T.Bool),
            new(5, "defaultUser", T.Int64));
        public static readonly Message NFSVolumeSource = new(
            new(1, "server", T.String),
            new(2, "path", T.String),
            new(3, "readOnly", T.Bool));
        public static readonly Message ISCSIVolumeSource = new(
            new(1, "targetPortal", T.String),
            new(2, "iqn", T.String),
            new(3, "lun", T.Int32),
            new(4, "iscsiInterface", T.String),
            new(5, "fsType", T.String),
            new(6, "readOnly", T.Bool),
            new(7, "portals", T.RepeatedString),
            new(8, "chapAuthDiscovery", T.Bool),
            new(10, "secretRef", T.Message, LocalObjectReference),
            new(11, "chapAuthSession", T.Bool),
            new(12, "initiatorName", T.String));
        public static readonly Message GlusterfsVolumeSource = new(
            new(1, "endpoints", T.String),
            new(2, "path", T.String),
            new(3, "readOnly", T.Bool));
        public static readonly Message PersistentVolumeClaimVolumeSource = new(
            new(1, "claimName", T.String),
            new(2, "readOnly", T.Bool));
        public static readonly Message RBDVolumeSource = new(
            new(1, "monitors", T.RepeatedString),
            new(2, "image", T.String),
            new(3, "fsType", T.String),
            new(4, "pool", T.String),
            new(5, "user", T.String),
            new(6, "keyring", T.String),
            new(7, "secretRef", T.Message, LocalObjectReference),
            new(8, "readOnly", T.Bool));
        public static readonly Message FlexVolumeSource = new(
            new(1, "driver", T.String),
            new(2, "fsType", T.String),
            new(3, "secretRef", T.Message, LocalObjectReference),
            new(4, "readOnly", T.Bool),
            new(5, "options", T.MapString));
        public static readonly Message CinderVolumeSource = new(
            new(1, "volumeID", T.String),
            new(2, "fsType", T.String),
            new(3, "readOnly", T.Bool),
            new(4, "secretRef", T.Message, LocalObjectReference));
        public static readonly Message CephFSVolumeSource = new(
            new(1, "monitors", T.RepeatedString),
            new(2, "path", T.String),
            new(3, "user", T.String),
            new(4, "secretFile", T.String),
            new(5, "secretRef", T.Message, LocalObjectReference),
            new(6, "readOnly", T.Bool));
        public static readonly Message FlockerVolumeSource = new(
            new(1, "datasetName", T.String),
            new(2, "datasetUUID", T.String));
        public static readonly Message ObjectFieldSelector = new(
            new(1, "apiVersion", T.String),
            new(2, "fieldPath", T.String));
        public static readonly Message ResourceFieldSelector = new(
            new(1, "containerName", T.String),
            new(2, "resource", T.String),
            new(3, "divisor", T.Quantity));
        public static readonly Message DownwardAPIVolumeFile = new(
            new(1, "path", T.String),
            new(2, "fieldRef", T.Message, ObjectFieldSelector),
            new(3, "resourceFieldRef", T.Message, ResourceFieldSelector),
            new(4, "mode", T.Int32),
            new(5, "user", T.Int64));
        public static readonly Message DownwardAPIVolumeSource = new(
            new(1, "items", T.RepeatedMessage, DownwardAPIVolumeFile),
            new(2, "defaultMode", T.Int32),
            new(3, "defaultUser", T.Int64));
        public static readonly Message FCVolumeSource = new(
            new(1, "targetWWNs", T.RepeatedString),
            new(2, "lun", T.Int32),
            new(3, "fsType", T.String),
            new(4, "readOnly", T.Bool),
            new(5, "wwids", T.RepeatedString));
        public static readonly Message AzureFileVolumeSource = new(
            new(1, "secretName", T.String),
            new(2, "shareName", T.String),
            new(3, "readOnly", T.Bool));
        public static readonly Message ConfigMapVolumeSource = new(
            new(1, "localObjectReference", T.Message, LocalObjectReference),
            new(2, "items", T.RepeatedMessage, KeyToPath),
            new(3, "defaultMode", T.Int32),
            new(4, "optional", T.Bool),
            new(5, "defaultUser", T.Int64));
        public static readonly Message VsphereVirtualDiskVolumeSource = new(
            new(1, "volumePath", T.String),
            new(2, "fsType", T.String),
            new(3, "storagePolicyName", T.String),
            new(4, "storagePolicyID", T.String));
        public static readonly Message QuobyteVolumeSource = new(
            new(1, "registry", T.String),
            new(2, "volume", T.String),
            new(3, "readOnly", T.Bool),
            new(4, "user", T.String),
            new(5, "group", T.String),
            new(6, "tenant", T.String));
        public static readonly Message AzureDiskVolumeSource = new(
            new(1, "diskName", T.String),
            new(2, "diskURI", T.String),
            new(3, "cachingMode", T.String),
            new(4, "fsType", T.String),
            new(5, "readOnly", T.Bool),
            new(6, "kind", T.String));
        public static readonly Message PhotonPersistentDiskVolumeSource = new(
            new(1, "pdID", T.String),
            new(2, "fsType", T.String));
        public static readonly Message SecretProjection = new(
            new(1, "localObjectReference", T.Message, LocalObjectReference),
            new(2, "items", T.RepeatedMessage, KeyToPath),
            new(4, "optional", T.Bool));
        public static readonly Message DownwardAPIProjection = new(
            new Field(1, "items", T.RepeatedMessage, DownwardAPIVolumeFile));
        public static readonly Message ConfigMapProjection = new(
            new(1, "localObjectReference", T.Message, LocalObjectReference),
            new(2, "items", T.RepeatedMessage, KeyToPath),
            new(4, "optional", T.Bool));
        public static readonly Message ServiceAccountTokenProjection = new(
            new(1, "audience", T.String),
            new(2, "expirationSeconds", T.Int64),
            new(3, "path", T.String),
            new(4, "user", T.Int64));
        public static readonly Message ClusterTrustBundleProjection = new(
            new(1, "name", T.String),
            new(2, "signerName", T.String),
            new(3, "labelSelector", T.Message, LabelSelector),
            new(4, "path", T.String),
            new(5, "optional", T.Bool),
            new(6, "user", T.Int64));
        public static readonly Message PodCertificateProjection = new(
            new(1, "signerName", T.String),
            new(2, "keyType", T.String),
            new(3, "maxExpirationSeconds", T.Int32),
            new(4, "credentialBundlePath", T.String),
            new(5, "keyPath", T.String),
            new(6, "certificateChainPath", T.String),
            new(7, "userAnnotations", T.MapString),
            new(8, "user", T.Int64));
        public static readonly Message VolumeProjection = new(
            new(1, "secret", T.Message, SecretProjection),
            new(2, "downwardAPI", T.Message, DownwardAPIProjection),
            new(3, "configMap", T.Message, ConfigMapProjection),
            new(4, "serviceAccountToken", T.Message, ServiceAccountTokenProjection),
            new(5, "clusterTrustBundle", T.Message, ClusterTrustBundleProjection),
            new(6, "podCertificate", T.Message, PodCertificateProjection));
        public static readonly Message ProjectedVolumeSource = new(
            new(1, "sources", T.RepeatedMessage, VolumeProjection),
            new(2, "defaultMode", T.Int32),
            new(3, "defaultUser", T.Int64));
        public static readonly Message PortworxVolumeSource = new(
            new(1, "volumeID", T.String),
            new(2, "fsType", T.String),
            new(3, "readOnly", T.Bool));
        public static readonly Message ScaleIOVolumeSource = new(
            new(1, "gateway", T.String),
            new(2, "system", T.String),
            new(3, "secretRef", T.Message, LocalObjectReference),
            new(4, "sslEnabled", T.Bool),
            new(5, "protectionDomain", T.String),
            new(6, "storagePool", T.String),
            new(7, "storageMode", T.String),
            new(8, "volumeName", T.String),
            new(9, "fsType", T.String),
            new(10, "readOnly", T.Bool));
        public static readonly Message StorageOSVolumeSource = new(
            new(1, "volumeName", T.String),
            new(2, "volumeNamespace", T.String),
            new(3, "fsType", T.String),
            new(4, "readOnly", T.Bool),
            new(5, "secretRef", T.Message, LocalObjectReference));
        public static readonly Message CSIVolumeSource = new(
            new(1, "driver", T.String),
            new(2, "readOnly", T.Bool),
            new(3, "fsType", T.String),
            new(4, "volumeAttributes", T.MapString),
            new(5, "nodePublishSecretRef", T.Message, LocalObjectReference));
        public static readonly Message VolumeResourceRequirements = new(
            new(1, "limits", T.MapQuantity),
            new(2, "requests", T.MapQuantity));
        public static readonly Message TypedLocalObjectReference = new(
            new(1, "apiGroup", T.String),
            new(2, "kind", T.String),
            new(3, "name", T.String));
        public static readonly Message TypedObjectReference = new(
            new(1, "apiGroup", T.String),
            new(2, "kind", T.String),
            new(3, "name", T.String),
            new(4, "namespace", T.String));
        public static readonly Message PersistentVolumeClaimSpec = new(
            new(1, "accessModes", T.RepeatedString),
            new(2, "resources", T.Message, VolumeResourceRequirements),
            new(3, "volumeName", T.String),
            new(4, "selector", T.Message, LabelSelector),
            new(5, "storageClassName", T.String),
            new(6, "volumeMode", T.String),
            new(7, "dataSource", T.Message, TypedLocalObjectReference),
            new(8, "dataSourceRef", T.Message, TypedObjectReference),
            new(9, "volumeAttributesClassName", T.String));
        public static readonly Message PersistentVolumeClaimTemplate = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "spec", T.Message, PersistentVolumeClaimSpec));
        public static readonly Message EphemeralVolumeSource = new(
            new Field(1, "volumeClaimTemplate", T.Message, PersistentVolumeClaimTemplate));
        public static readonly Message ImageVolumeSource = new(
            new(1, "reference", T.String),
            new(2, "pullPolicy", T.String));
        public static readonly Message VolumeSource = new(
            new(1, "hostPath", T.Message, HostPathVolumeSource),
            new(2, "emptyDir", T.Message, EmptyDirVolumeSource),
            new(3, "gcePersistentDisk", T.Message, GCEPersistentDiskVolumeSource),
            new(4, "awsElasticBlockStore", T.Message, AWSElasticBlockStoreVolumeSource),
            new(5, "gitRepo", T.Message, GitRepoVolumeSource),
            new(6, "secret", T.Message, SecretVolumeSource),
            new(7, "nfs", T.Message, NFSVolumeSource),
            new(8, "iscsi", T.Message, ISCSIVolumeSource),
            new(9, "glusterfs", T.Message, GlusterfsVolumeSource),
            new(10, "persistentVolumeClaim", T.Message, PersistentVolumeClaimVolumeSource),
            new(11, "rbd", T.Message, RBDVolumeSource),
            new(12, "flexVolume", T.Message, FlexVolumeSource),
            new(13, "cinder", T.Message, CinderVolumeSource),
            new(14, "cephfs", T.Message, CephFSVolumeSource),
            new(15, "flocker", T.Message, FlockerVolumeSource),
            new(16, "downwardAPI", T.Message, DownwardAPIVolumeSource),
            new(17, "fc", T.Message, FCVolumeSource),
            new(18, "azureFile", T.Message, AzureFileVolumeSource),
            new(19, "configMap", T.Message, ConfigMapVolumeSource),
            new(20, "vsphereVolume", T.Message, VsphereVirtualDiskVolumeSource),
            new(21, "quobyte", T.Message, QuobyteVolumeSource),
            new(22, "azureDisk", T.Message, AzureDiskVolumeSource),
            new(23, "photonPersistentDisk", T.Message, PhotonPersistentDiskVolumeSource),
            new(24, "portworxVolume", T.Message, PortworxVolumeSource),
            new(25, "scaleIO", T.Message, ScaleIOVolumeSource),
            new(26, "projected", T.Message, ProjectedVolumeSource),
            new(27, "storageos", T.Message, StorageOSVolumeSource),
            new(28, "csi", T.Message, CSIVolumeSource),
            new(29, "ephemeral", T.Message, EphemeralVolumeSource),
            new(30, "image", T.Message, ImageVolumeSource));
        public static readonly Message Volume = new(
            new(1, "name", T.String),
            new(2, "volumeSource", T.Inline, VolumeSource));
        public static readonly Message ContainerPort = new(
            new(1, "name", T.String),
            new(2, "hostPort", T.Int32),
            new(3, "containerPort", T.Int32),
            new(4, "protocol", T.String),
            new(5, "hostIP", T.String));
        public static readonly Message ConfigMapEnvSource = new(
            new(1, "localObjectReference", T.Message, LocalObjectReference),
            new(2, "optional", T.Bool));
        public static readonly Message SecretEnvSource = new(
            new(1, "localObjectReference", T.Message, LocalObjectReference),
            new(2, "optional", T.Bool));
        public static readonly Message EnvFromSource = new(
            new(1, "prefix", T.String),
            new(2, "configMapRef", T.Message, ConfigMapEnvSource),
            new(3, "secretRef", T.Message, SecretEnvSource));
        public static readonly Message ConfigMapKeySelector = new(
            new(1, "localObjectReference", T.Message, LocalObjectReference),
            new(2, "key", T.String),
            new(3, "optional", T.Bool));
        public static readonly Message SecretKeySelector = new(
            new(1, "localObjectReference", T.Message, LocalObjectReference),
            new(2, "key", T.String),
            new(3, "optional", T.Bool));
        public static readonly Message FileKeySelector = new(
            new(1, "volumeName", T.String),
            new(2, "path", T.String),
            new(3, "key", T.String),
            new(4, "optional", T.Bool));
        public static readonly Message EnvVarSource = new(
            new(1, "fieldRef", T.Message, ObjectFieldSelector),
            new(2, "resourceFieldRef", T.Message, ResourceFieldSelector),
            new(3, "configMapKeyRef", T.Message, ConfigMapKeySelector),
            new(4, "secretKeyRef", T.Message, SecretKeySelector),
            new(5, "fileKeyRef", T.Message, FileKeySelector));
        public static readonly Message EnvVar = new(
            new(1, "name", T.String),
            new(2, "value", T.String),
            new(3, "valueFrom", T.Message, EnvVarSource));
        public static readonly Message ResourceClaim = new(
            new(1, "name", T.String),
            new(2, "request", T.String));
        public static readonly Message ResourceRequirements = new(
            new(1, "limits", T.MapQuantity),
            new(2, "requests", T.MapQuantity),
            new(3, "claims", T.RepeatedMessage, ResourceClaim));
        public static readonly Message ContainerResizePolicy = new(
            new(1, "resourceName", T.String),
            new(2, "restartPolicy", T.String));
        public static readonly Message ContainerRestartRuleOnExitCodes = new(
            new(1, "operator", T.String),
            new(2, "values", T.RepeatedInt32));
        public static readonly Message ContainerRestartRule = new(
            new(1, "action", T.String),
            new(2, "exitCodes", T.Message, ContainerRestartRuleOnExitCodes));
        public static readonly Message VolumeMount = new(
            new(1, "name", T.String),
            new(2, "readOnly", T.Bool),
            new(3, "mountPath", T.String),
            new(4, "subPath", T.String),
            new(5, "mountPropagation", T.String),
            new(6, "subPathExpr", T.String),
            new(7, "recursiveReadOnly", T.String),
            new(8, "bindMountOptions", T.RepeatedString));
        public static readonly Message VolumeDevice = new(
            new(1, "name", T.String),
            new(2, "devicePath", T.String));
        public static readonly Message ExecAction = new(
            new Field(1, "command", T.RepeatedString));
        public static readonly Message HTTPHeader = new(
            new(1, "name", T.String),
            new(2, "value", T.String));
        public static readonly Message HTTPGetAction = new(
            new(1, "path", T.String),
            new(2, "port", T.IntOrString),
            new(3, "host", T.String),
            new(4, "scheme", T.String),
            new(5, "httpHeaders", T.RepeatedMessage, HTTPHeader),
            new(6, "protocol", T.String));
        public static readonly Message TCPSocketAction = new(
            new(1, "port", T.IntOrString),
            new(2, "host", T.String));
        public static readonly Message GRPCAction = new(
            new(1, "port", T.Int32),
            new(2, "service", T.String),
            new(3, "mode", T.String));
        public static readonly Message ProbeHandler = new(
            new(1, "exec", T.Message, ExecAction),
            new(2, "httpGet", T.Message, HTTPGetAction),
            new(3, "tcpSocket", T.Message, TCPSocketAction),
            new(4, "grpc", T.Message, GRPCAction));
        public static readonly Message Probe = new(
            new(1, "handler", T.Inline, ProbeHandler),
            new(2, "initialDelaySeconds", T.Int32),
            new(3, "timeoutSeconds", T.Int32),
            new(4, "periodSeconds", T.Int32),
            new(5, "successThreshold", T.Int32),
            new(6, "failureThreshold", T.Int32),
            new(7, "terminationGracePeriodSeconds", T.Int64));
        public static readonly Message SleepAction = new(
            new Field(1, "seconds", T.Int64));
        public static readonly Message LifecycleHandler = new(
            new(1, "exec", T.Message, ExecAction),
            new(2, "httpGet", T.Message, HTTPGetAction),
            new(3, "tcpSocket", T.Message, TCPSocketAction),
            new(4, "sleep", T.Message, SleepAction));
        public static readonly Message Lifecycle = new(
            new(1, "postStart", T.Message, LifecycleHandler),
            new(2, "preStop", T.Message, LifecycleHandler),
            new(3, "stopSignal", T.String));
        public static readonly Message Capabilities = new(
            new(1, "add", T.RepeatedString),
            new(2, "drop", T.RepeatedString));
        public static readonly Message SELinuxOptions = new(
            new(1, "user", T.String),
            new(2, "role", T.String),
            new(3, "type", T.String),
            new(4, "level", T.String));
        public static readonly Message WindowsSecurityContextOptions = new(
            new(1, "gmsaCredentialSpecName", T.String),
            new(2, "gmsaCredentialSpec", T.String),
            new(3, "runAsUserName", T.String),
            new(4, "hostProcess", T.Bool));
        public static readonly Message SeccompProfile = new(
            new(1, "type", T.String),
            new(2, "localhostProfile", T.String));
        public static readonly Message AppArmorProfile = new(
            new(1, "type", T.String),
            new(2, "localhostProfile", T.String));
        public static readonly Message SecurityContext = new(
            new(1, "capabilities", T.Message, Capabilities),
            new(2, "privileged", T.Bool),
            new(3, "seLinuxOptions", T.Message, SELinuxOptions),
            new(4, "runAsUser", T.Int64),
            new(5, "runAsNonRoot", T.Bool),
            new(6, "readOnlyRootFilesystem", T.Bool),
            new(7, "allowPrivilegeEscalation", T.Bool),
            new(8, "runAsGroup", T.Int64),
            new(9, "procMount", T.String),
            new(10, "windowsOptions", T.Message, WindowsSecurityContextOptions),
            new(11, "seccompProfile", T.Message, SeccompProfile),
            new(12, "appArmorProfile", T.Message, AppArmorProfile));
        public static readonly Message Container = new(
            new(1, "name", T.String),
            new(2, "image", T.String),
            new(3, "command", T.RepeatedString),
            new(4, "args", T.RepeatedString),
            new(5, "workingDir", T.String),
            new(6, "ports", T.RepeatedMessage, ContainerPort),
            new(7, "env", T.RepeatedMessage, EnvVar),
            new(8, "resources", T.Message, ResourceRequirements),
            new(9, "volumeMounts", T.RepeatedMessage, VolumeMount),
            new(10, "livenessProbe", T.Message, Probe),
            new(11, "readinessProbe", T.Message, Probe),
            new(12, "lifecycle", T.Message, Lifecycle),
            new(13, "terminationMessagePath", T.String),
            new(14, "imagePullPolicy", T.String),
            new(15, "securityContext", T.Message, SecurityContext),
            new(16, "stdin", T.Bool),
            new(17, "stdinOnce", T.Bool),
            new(18, "tty", T.Bool),
            new(19, "envFrom", T.RepeatedMessage, EnvFromSource),
            new(20, "terminationMessagePolicy", T.String),
            new(21, "volumeDevices", T.RepeatedMessage, VolumeDevice),
            new(22, "startupProbe", T.Message, Probe),
            new(23, "resizePolicy", T.RepeatedMessage, ContainerResizePolicy),
            new(24, "restartPolicy", T.String),
            new(25, "restartPolicyRules", T.RepeatedMessage, ContainerRestartRule));
        public static readonly Message EphemeralContainerCommon = new(
            new(1, "name", T.String),
            new(2, "image", T.String),
            new(3, "command", T.RepeatedString),
            new(4, "args", T.RepeatedString),
            new(5, "workingDir", T.String),
            new(6, "ports", T.RepeatedMessage, ContainerPort),
            new(7, "env", T.RepeatedMessage, EnvVar),
            new(8, "resources", T.Message, ResourceRequirements),
            new(9, "volumeMounts", T.RepeatedMessage, VolumeMount),
            new(10, "livenessProbe", T.Message, Probe),
            new(11, "readinessProbe", T.Message, Probe),
            new(12, "lifecycle", T.Message, Lifecycle),
            new(13, "terminationMessagePath", T.String),
            new(14, "imagePullPolicy", T.String),
            new(15, "securityContext", T.Message, SecurityContext),
            new(16, "stdin", T.Bool),
            new(17, "stdinOnce", T.Bool),
            new(18, "tty", T.Bool),
            new(19, "envFrom", T.RepeatedMessage, EnvFromSource),
            new(20, "terminationMessagePolicy", T.String),
            new(21, "volumeDevices", T.RepeatedMessage, VolumeDevice),
            new(22, "startupProbe", T.Message, Probe),
            new(23, "resizePolicy", T.RepeatedMessage, ContainerResizePolicy),
            new(24, "restartPolicy", T.String),
            new(25, "restartPolicyRules", T.RepeatedMessage, ContainerRestartRule));
        public static readonly Message EphemeralContainer = new(
            new(1, "ephemeralContainerCommon", T.Inline, EphemeralContainerCommon),
            new(2, "targetContainerName", T.String));
        public static readonly Message Sysctl = new(
            new(1, "name", T.String),
            new(2, "value", T.String));
        public static readonly Message PodSecurityContext = new(
            new(1, "seLinuxOptions", T.Message, SELinuxOptions),
            new(2, "runAsUser", T.Int64),
            new(3, "runAsNonRoot", T.Bool),
            new(4, "supplementalGroups", T.RepeatedInt64),
            new(5, "fsGroup", T.Int64),
            new(6, "runAsGroup", T.Int64),
            new(7, "sysctls", T.RepeatedMessage, Sysctl),
            new(8, "windowsOptions", T.Message, WindowsSecurityContextOptions),
            new(9, "fsGroupChangePolicy", T.String),
            new(10, "seccompProfile", T.Message, SeccompProfile),
            new(11, "appArmorProfile", T.Message, AppArmorProfile),
            new(12, "supplementalGroupsPolicy", T.String),
            new(13, "seLinuxChangePolicy", T.String));
        public static readonly Message NodeSelectorRequirement = new(
            new(1, "key", T.String),
            new(2, "operator", T.String),
            new(3, "values", T.RepeatedString));
        public static readonly Message NodeSelectorTerm = new(
            new(1, "matchExpressions", T.RepeatedMessage, NodeSelectorRequirement),
            new(2, "matchFields", T.RepeatedMessage, NodeSelectorRequirement));
        public static readonly Message NodeSelector = new(
            new Field(1, "nodeSelectorTerms", T.RepeatedMessage, NodeSelectorTerm));
        public static readonly Message PreferredSchedulingTerm = new(
            new(1, "weight", T.Int32),
            new(2, "preference", T.Message, NodeSelectorTerm));
        public static readonly Message NodeAffinity = new(
            new(1, "requiredDuringSchedulingIgnoredDuringExecution", T.Message, NodeSelector),
            new(2, "preferredDuringSchedulingIgnoredDuringExecution", T.RepeatedMessage, PreferredSchedulingTerm));
        public static readonly Message PodAffinityTerm = new(
            new(1, "labelSelector", T.Message, LabelSelector),
            new(2, "namespaces", T.RepeatedString),
            new(3, "topologyKey", T.String),
            new(4, "namespaceSelector", T.Message, LabelSelector),
            new(5, "matchLabelKeys", T.RepeatedString),
            new(6, "mismatchLabelKeys", T.RepeatedString));
        public static readonly Message WeightedPodAffinityTerm = new(
            new(1, "weight", T.Int32),
            new(2, "podAffinityTerm", T.Message, PodAffinityTerm));
        public static readonly Message PodAffinity = new(
            new(1, "requiredDuringSchedulingIgnoredDuringExecution", T.RepeatedMessage, PodAffinityTerm),
            new(2, "preferredDuringSchedulingIgnoredDuringExecution", T.RepeatedMessage, WeightedPodAffinityTerm));
        public static readonly Message PodAntiAffinity = new(
            new(1, "requiredDuringSchedulingIgnoredDuringExecution", T.RepeatedMessage, PodAffinityTerm),
            new(2, "preferredDuringSchedulingIgnoredDuringExecution", T.RepeatedMessage, WeightedPodAffinityTerm));
        public static readonly Message Affinity = new(
            new(1, "nodeAffinity", T.Message, NodeAffinity),
            new(2, "podAffinity", T.Message, PodAffinity),
            new(3, "podAntiAffinity", T.Message, PodAntiAffinity));
        public static readonly Message Toleration = new(
            new(1, "key", T.String),
            new(2, "operator", T.String),
            new(3, "value", T.String),
            new(4, "effect", T.String),
            new(5, "tolerationSeconds", T.Int64));
        public static readonly Message HostAlias = new(
            new(1, "ip", T.String),
            new(2, "hostnames", T.RepeatedString));
        public static readonly Message PodDNSConfigOption = new(
            new(1, "name", T.String),
            new(2, "value", T.String));
        public static readonly Message PodDNSConfig = new(
            new(1, "nameservers", T.RepeatedString),
            new(2, "searches", T.RepeatedString),
            new(3, "options", T.RepeatedMessage, PodDNSConfigOption));
        public static readonly Message PodReadinessGate = new(
            new Field(1, "conditionType", T.String));
        public static readonly Message TopologySpreadConstraint = new(
            new(1, "maxSkew", T.Int32),
            new(2, "topologyKey", T.String),
            new(3, "whenUnsatisfiable", T.String),
            new(4, "labelSelector", T.Message, LabelSelector),
            new(5, "minDomains", T.Int32),
            new(6, "nodeAffinityPolicy", T.String),
            new(7, "nodeTaintsPolicy", T.String),
            new(8, "matchLabelKeys", T.RepeatedString));
        public static readonly Message PodOS = new(
            new Field(1, "name", T.String));
        public static readonly Message PodSchedulingGate = new(
            new Field(1, "name", T.String));
        public static readonly Message PodResourceClaim = new(
            new(1, "name", T.String),
            new(3, "resourceClaimName", T.String),
            new(4, "resourceClaimTemplateName", T.String));
        public static readonly Message PodSchedulingGroup = new(
            new Field(1, "podGroupName", T.String));
        public static readonly Message EvictionResponder = new(
            new(1, "name", T.String),
            new(2, "priority", T.Int32));
        public static readonly Message PodSpec = new(
            new(1, "volumes", T.RepeatedMessage, Volume),
            new(2, "containers", T.RepeatedMessage, Container),
            new(3, "restartPolicy", T.String),
            new(4, "terminationGracePeriodSeconds", T.Int64),
            new(5, "activeDeadlineSeconds", T.Int64),
            new(6, "dnsPolicy", T.String),
            new(7, "nodeSelector", T.MapString),
            new(8, "serviceAccountName", T.String),
            new(9, "serviceAccount", T.String),
            new(10, "nodeName", T.String),
            new(11, "hostNetwork", T.Bool),
            new(12, "hostPID", T.Bool),
            new(13, "hostIPC", T.Bool),
            new(14, "securityContext", T.Message, PodSecurityContext),
            new(15, "imagePullSecrets", T.RepeatedMessage, LocalObjectReference),
            new(16, "hostname", T.String),
            new(17, "subdomain", T.String),
            new(18, "affinity", T.Message, Affinity),
            new(19, "schedulerName", T.String),
            new(20, "initContainers", T.RepeatedMessage, Container),
            new(21, "automountServiceAccountToken", T.Bool),
            new(22, "tolerations", T.RepeatedMessage, Toleration),
            new(23, "hostAliases", T.RepeatedMessage, HostAlias),
            new(24, "priorityClassName", T.String),
            new(25, "priority", T.Int32),
            new(26, "dnsConfig", T.Message, PodDNSConfig),
            new(27, "shareProcessNamespace", T.Bool),
            new(28, "readinessGates", T.RepeatedMessage, PodReadinessGate),
            new(29, "runtimeClassName", T.String),
            new(30, "enableServiceLinks", T.Bool),
            new(31, "preemptionPolicy", T.String),
            new(32, "overhead", T.MapQuantity),
            new(33, "topologySpreadConstraints", T.RepeatedMessage, TopologySpreadConstraint),
            new(34, "ephemeralContainers", T.RepeatedMessage, EphemeralContainer),
            new(35, "setHostnameAsFQDN", T.Bool),
            new(36, "os", T.Message, PodOS),
            new(37, "hostUsers", T.Bool),
            new(38, "schedulingGates", T.RepeatedMessage, PodSchedulingGate),
            new(39, "resourceClaims", T.RepeatedMessage, PodResourceClaim),
            new(40, "resources", T.Message, ResourceRequirements),
            new(41, "hostnameOverride", T.String),
            new(43, "schedulingGroup", T.Message, PodSchedulingGroup),
            new(44, "evictionResponders", T.RepeatedMessage, EvictionResponder));
        public static readonly Message PodCondition = new(
            new(1, "type", T.String),
            new(2, "status", T.String),
            new(3, "lastProbeTime", T.Time),
            new(4, "lastTransitionTime", T.Time),
            new(5, "reason", T.String),
            new(6, "message", T.String),
            new(7, "observedGeneration", T.Int64));
        public static readonly Message HostIP = new(
            new Field(1, "ip", T.String));
        public static readonly Message PodIP = new(
            new Field(1, "ip", T.String));
        public static readonly Message ContainerStateWaiting = new(
            new(1, "reason", T.String),
            new(2, "message", T.String));
        public static readonly Message ContainerStateRunning = new(
            new Field(1, "startedAt", T.Time));
        public static readonly Message ContainerStateTerminated = new(
            new(1, "exitCode", T.Int32),
            new(2, "signal", T.Int32),
            new(3, "reason", T.String),
            new(4, "message", T.String),
            new(5, "startedAt", T.Time),
            new(6, "finishedAt", T.Time),
            new(7, "containerID", T.String));
        public static readonly Message ContainerState = new(
            new(1, "waiting", T.Message, ContainerStateWaiting),
            new(2, "running", T.Message, ContainerStateRunning),
            new(3, "terminated", T.Message, ContainerStateTerminated));
        public static readonly Message ImageVolumeStatus = new(
            new Field(1, "imageRef", T.String));
        public static readonly Message VolumeStatus = new(
            new Field(1, "image", T.Message, ImageVolumeStatus));
        public static readonly Message VolumeMountStatus = new(
            new(1, "name", T.String),
            new(2, "mountPath", T.String),
            new(3, "readOnly", T.Bool),
            new(4, "recursiveReadOnly", T.String),
            new(5, "volumeStatus", T.Message, VolumeStatus));
        public static readonly Message LinuxContainerUser = new(
            new(1, "uid", T.Int64),
            new(2, "gid", T.Int64),
            new(3, "supplementalGroups", T.RepeatedInt64));
        public static readonly Message ContainerUser = new(
            new Field(1, "linux", T.Message, LinuxContainerUser));
        public static readonly Message ResourceHealth = new(
            new(1, "resourceID", T.String),
            new(2, "health", T.String),
            new(6, "message", T.String));
        public static readonly Message ResourceStatus = new(
            new(1, "name", T.String),
            new(2, "resources", T.RepeatedMessage, ResourceHealth));
        public static readonly Message ContainerStatus = new(
            new(1, "name", T.String),
            new(2, "state", T.Message, ContainerState),
            new(3, "lastState", T.Message, ContainerState),
            new(4, "ready", T.Bool),
            new(5, "restartCount", T.Int32),
            new(6, "image", T.String),
            new(7, "imageID", T.String),
            new(8, "containerID", T.String),
            new(9, "started", T.Bool),
            new(10, "allocatedResources", T.MapQuantity),
            new(11, "resources", T.Message, ResourceRequirements),
            new(12, "volumeMounts", T.RepeatedMessage, VolumeMountStatus),
            new(13, "user", T.Message, ContainerUser),
            new(14, "allocatedResourcesStatus", T.RepeatedMessage, ResourceStatus),
            new(15, "stopSignal", T.String));
        public static readonly Message PodResourceClaimStatus = new(
            new(1, "name", T.String),
            new(2, "resourceClaimName", T.String));
        public static readonly Message ContainerExtendedResourceRequest = new(
            new(1, "containerName", T.String),
            new(2, "resourceName", T.String),
            new(3, "requestName", T.String));
        public static readonly Message PodExtendedResourceClaimStatus = new(
            new(1, "requestMappings", T.RepeatedMessage, ContainerExtendedResourceRequest),
            new(2, "resourceClaimName", T.String));
        public static readonly Message NodeAllocatableMappedResources = new(
            new(1, "name", T.String),
            new(2, "quantity", T.Quantity));
        public static readonly Message NodeAllocatableOverheadResources = new(
            new(1, "name", T.String),
            new(2, "perPod", T.Quantity),
            new(3, "perContainer", T.Quantity));
        public static readonly Message NodeAllocatableResourceClaimStatus = new(
            new(1, "resourceClaimName", T.String),
            new(2, "containers", T.RepeatedString),
            new(4, "mapping", T.RepeatedMessage, NodeAllocatableMappedResources),
            new(5, "overhead", T.RepeatedMessage, NodeAllocatableOverheadResources));
        public static readonly Message VolumeHealthCondition = new(
            new(1, "status", T.String),
            new(2, "reason", T.String),
            new(3, "message", T.String));
        public static readonly Message PodVolumeHealth = new(
            new(1, "name", T.String),
            new(2, "healthConditions", T.RepeatedMessage, VolumeHealthCondition),
            new(3, "lastTransitionTime", T.Time));
        public static readonly Message PodStatus = new(
            new(1, "phase", T.String),
            new(2, "conditions", T.RepeatedMessage, PodCondition),
            new(3, "message", T.String),
            new(4, "reason", T.String),
            new(5, "hostIP", T.String),
            new(6, "podIP", T.String),
            new(7, "startTime", T.Time),
            new(8, "containerStatuses", T.RepeatedMessage, ContainerStatus),
            new(9, "qosClass", T.String),
            new(10, "initContainerStatuses", T.RepeatedMessage, ContainerStatus),
            new(11, "nominatedNodeName", T.String),
            new(12, "podIPs", T.RepeatedMessage, PodIP),
            new(13, "ephemeralContainerStatuses", T.RepeatedMessage, ContainerStatus),
            new(14, "resize", T.String),
            new(15, "resourceClaimStatuses", T.RepeatedMessage, PodResourceClaimStatus),
            new(16, "hostIPs", T.RepeatedMessage, HostIP),
            new(17, "observedGeneration", T.Int64),
            new(18, "extendedResourceClaimStatus", T.Message, PodExtendedResourceClaimStatus),
            new(19, "allocatedResources", T.MapQuantity),
            new(20, "resources", T.Message, ResourceRequirements),
            new(21, "nodeAllocatableResourceClaimStatuses", T.RepeatedMessage, NodeAllocatableResourceClaimStatus),
            new(22, "volumeHealth", T.RepeatedMessage, PodVolumeHealth));
        public static readonly Message Pod = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "spec", T.Message, PodSpec),
            new(3, "status", T.Message, PodStatus));
        public static readonly Message EventSource = new(
            new(1, "component", T.String),
            new(2, "host", T.String));
        public static readonly Message EventSeries = new(
            new(1, "count", T.Int32),
            new(2, "lastObservedTime", T.MicroTime));
        public static readonly Message Event = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "involvedObject", T.Message, ObjectReference),
            new(3, "reason", T.String),
            new(4, "message", T.String),
            new(5, "source", T.Message, EventSource),
            new(6, "firstTimestamp", T.Time),
            new(7, "lastTimestamp", T.Time),
            new(8, "count", T.Int32),
            new(9, "type", T.String),
            new(10, "eventTime", T.MicroTime),
            new(11, "series", T.Message, EventSeries),
            new(12, "action", T.String),
            new(13, "related", T.Message, ObjectReference),
            new(14, "reportingComponent", T.String),
            new(15, "reportingInstance", T.String));
        public static readonly Message PodTemplateSpec = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "spec", T.Message, PodSpec));
        public static readonly Message AppsRollingUpdateDeployment = new(
            new(1, "maxUnavailable", T.IntOrString),
            new(2, "maxSurge", T.IntOrString));
        public static readonly Message AppsDeploymentStrategy = new(
            new(1, "type", T.String),
            new(2, "rollingUpdate", T.Message, AppsRollingUpdateDeployment));
        public static readonly Message AppsDeploymentSpec = new(
            new(1, "replicas", T.Int32),
            new(2, "selector", T.Message, LabelSelector),
            new(3, "template", T.Message, PodTemplateSpec),
            new(4, "strategy", T.Message, AppsDeploymentStrategy),
            new(5, "minReadySeconds", T.Int32),
            new(6, "revisionHistoryLimit", T.Int32),
            new(7, "paused", T.Bool),
            new(9, "progressDeadlineSeconds", T.Int32));
        public static readonly Message AppsDeploymentCondition = new(
            new(1, "type", T.String),
            new(2, "status", T.String),
            new(4, "reason", T.String),
            new(5, "message", T.String),
            new(6, "lastUpdateTime", T.Time),
            new(7, "lastTransitionTime", T.Time));
        public static readonly Message AppsDeploymentStatus = new(
            new(1, "observedGeneration", T.Int64),
            new(2, "replicas", T.Int32),
            new(3, "updatedReplicas", T.Int32),
            new(4, "availableReplicas", T.Int32),
            new(5, "unavailableReplicas", T.Int32),
            new(6, "conditions", T.RepeatedMessage, AppsDeploymentCondition),
            new(7, "readyReplicas", T.Int32),
            new(8, "collisionCount", T.Int32),
            new(9, "terminatingReplicas", T.Int32));
        public static readonly Message AppsDeployment = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "spec", T.Message, AppsDeploymentSpec),
            new(3, "status", T.Message, AppsDeploymentStatus));
        public static readonly Message AppsReplicaSetSpec = new(
            new(1, "replicas", T.Int32),
            new(2, "selector", T.Message, LabelSelector),
            new(3, "template", T.Message, PodTemplateSpec),
            new(4, "minReadySeconds", T.Int32));
        public static readonly Message AppsReplicaSetCondition = new(
            new(1, "type", T.String),
            new(2, "status", T.String),
            new(3, "lastTransitionTime", T.Time),
            new(4, "reason", T.String),
            new(5, "message", T.String));
        public static readonly Message AppsReplicaSetStatus = new(
            new(1, "replicas", T.Int32),
            new(2, "fullyLabeledReplicas", T.Int32),
            new(3, "observedGeneration", T.Int64),
            new(4, "readyReplicas", T.Int32),
            new(5, "availableReplicas", T.Int32),
            new(6, "conditions", T.RepeatedMessage, AppsReplicaSetCondition),
            new(7, "terminatingReplicas", T.Int32));
        public static readonly Message AppsReplicaSet = new(
            new(1, "metadata", T.Message, ObjectMeta),
            new(2, "spec", T.Message, AppsReplicaSetSpec),
            new(3, "status", T.Message, AppsReplicaSetStatus));

        /// <summary>The kinds served as protobuf, by (group, kind).</summary>
        public static readonly Dictionary<(string Group, string Kind), Message> Kinds = new()
        {
            [("", "ConfigMap")] = ConfigMap, [("", "Secret")] = Secret, [("", "Namespace")] = Namespace,
            [("", "ServiceAccount")] = ServiceAccount, [("", "Service")] = Service, [("", "Endpoints")] = Endpoints,
            [("", "Pod")] = Pod, [("", "Event")] = Event, [("apps", "Deployment")] = AppsDeployment,
            [("apps", "ReplicaSet")] = AppsReplicaSet,
        };
    }
}
