using GeminiHooks.Configuration;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Binding;

/// <summary>
/// Decides whether a verified dynamic delivery belongs to the operator's jobs, one step after another: binding off →
/// bound; a valid binding token → bound; in <c>Confirm</c> mode, the job read at the Gemini API → bound, unavailable or
/// not confirmed; otherwise quarantine or refuse per the mode. A valid token binds only the job that presented it first:
/// every delivery echoes the token, so one captured from a delivery (a log, a forward) would otherwise bind any job.
/// </summary>
sealed class DeliveryBinder(IOptionsMonitor<GeminiHooksOptions> options, JobConfirmer confirmer, IEventStore store, TimeProvider time)
{
    public async ValueTask<BindingDecision> BindAsync(ReadOnlyMemory<byte> body, string eventType, CancellationToken cancellationToken)
    {
        var binding = options.CurrentValue.Dynamic.Binding;
        if (binding.Mode == DynamicBindingMode.Off)
            return BindingDecision.Bound;

        string? token = null;
        var tokenFailure = binding.HasKeys ? DeliveryBinding.Check(binding, body.Span, time.GetUtcNow(), out token) : "binding_missing";
        if (tokenFailure is null)
            return await TieAsync(token!, eventType, body, binding, cancellationToken);
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

    /// <summary>
    /// Ties the token's nonce to the delivery's job (family and normalised <c>data.id</c>) the first time it is seen;
    /// the same token on another job is <c>binding_reused</c>. A delivery that names no job cannot be tied, so its token
    /// binds nothing (<c>binding_no_job</c>).
    /// </summary>
    async ValueTask<BindingDecision> TieAsync(string token, string eventType, ReadOnlyMemory<byte> body, DynamicBindingOptions binding,
        CancellationToken cancellationToken)
    {
        if (store is not IBindingNonceStore ties)
            return BindingDecision.Bound;
        var reject = binding.Mode == DynamicBindingMode.Reject;
        var dataId = JobConfirmer.DataId(body.Span);
        var id = dataId is null ? "" : JobNames.Normalize(dataId);
        if (JobNames.FamilyOf(eventType) is not { } family || id.Length == 0)
            return Unbound(reject, "binding_no_job", $"The delivery carries a valid {binding.MetadataKey} token but names no job (data.id) to tie it to.");
        var (nonce, expiresAt) = BindingToken.Parts(token);
        bool tied;
        try
        {
            tied = await ties.TieAsync(nonce, new JobKey(family, id), expiresAt, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            return new BindingDecision(BindingVerdict.Unavailable, "binding_store_unavailable",
                "The event store cannot be reached to check the binding token; retry later (binding_store_unavailable).");
        }
        return tied ? BindingDecision.Bound : Unbound(reject, "binding_reused",
            $"The {binding.MetadataKey} token of the delivery was first presented by another job; a token binds one job only.");
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
