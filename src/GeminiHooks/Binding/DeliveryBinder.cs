using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Binding;

/// <summary>
/// Decides whether a verified dynamic delivery belongs to the operator's jobs, one step after another: binding off →
/// bound; a valid binding token → bound; in <c>Confirm</c> mode, the job read at the Gemini API → bound, unavailable or
/// not confirmed; otherwise quarantine or refuse per the mode. A further check of a valid token (a token tied to the
/// first job that presents it) slots in after the token step.
/// </summary>
sealed class DeliveryBinder(IOptionsMonitor<GeminiHooksOptions> options, JobConfirmer confirmer, TimeProvider time)
{
    public async ValueTask<BindingDecision> BindAsync(ReadOnlyMemory<byte> body, string eventType, CancellationToken cancellationToken)
    {
        var binding = options.CurrentValue.Dynamic.Binding;
        if (binding.Mode == DynamicBindingMode.Off)
            return BindingDecision.Bound;

        var tokenFailure = binding.HasKeys ? DeliveryBinding.Check(binding, body.Span, time.GetUtcNow()) : "binding_missing";
        if (tokenFailure is null)
            return BindingDecision.Bound;
        if (binding.Mode != DynamicBindingMode.Confirm)
            return Unbound(binding.Mode == DynamicBindingMode.Reject, tokenFailure, TokenDetail(tokenFailure, binding.MetadataKey));

        Confirmation confirmation;
        try { confirmation = await confirmer.ConfirmAsync(eventType, body, cancellationToken); }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The sender went away mid-read: nothing will read the answer, and nothing unconfirmed is stored.
            confirmation = Confirmation.Unavailable;
        }
        return confirmation switch
        {
            Confirmation.Confirmed => BindingDecision.Bound,
            Confirmation.Unavailable => new BindingDecision(BindingVerdict.Unavailable, "confirm_unavailable",
                "The Gemini API could not be asked whether this job is one of the receiver's; retry later (confirm_unavailable)."),
            Confirmation.NoJob => Unbound(binding.RejectUnconfirmed, "confirm_no_job",
                "The delivery has no binding token and its data.id names no job of its event type's family that could be read."),
            Confirmation.NotFound => Unbound(binding.RejectUnconfirmed, "confirm_not_found",
                "The delivery has no binding token and the job its data.id names is not one the receiver's Gemini API key can read."),
            _ => Unbound(binding.RejectUnconfirmed, "confirm_state_mismatch",
                "The delivery has no binding token and the state of the job its data.id names does not agree with its event type."),
        };
    }

    static BindingDecision Unbound(bool reject, string reason, string detail) =>
        new(reject ? BindingVerdict.Reject : BindingVerdict.Quarantine, reason, $"{detail} ({reason})");

    static string TokenDetail(string reason, string metadataKey) => reason switch
    {
        "binding_missing" => $"The delivery's user_metadata has no {metadataKey}: it does not come from a job created with a minted webhook_config.",
        "binding_expired" => $"The {metadataKey} binding token of the delivery has expired.",
        _ => $"The {metadataKey} binding token of the delivery is not valid for any configured binding key.",
    };
}
