using Ingress.Autoscaling.Configuration;
using ServingFieldError = Ingress.Serving.Validation.FieldError;

namespace Ingress.Local;

/// <summary>Autoscaling's field errors in Serving's error type. Why here: Serving and Autoscaling do not know
/// each other, and every host that validates Knative objects (validate, the webhook, up) needs both.</summary>
public static class AutoscalingAnnotationErrors
{
    public static ServingFieldError? ToServing(FieldErrors errors)
    {
        ServingFieldError? result = null;
        foreach (var e in errors.Errors)
            result = ServingFieldError.Also(result, new ServingFieldError(e.Message, e.Paths, e.Details));
        return result;
    }
}
