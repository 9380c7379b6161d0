using GeminiHooks.Reconciliation;

namespace GeminiHooks.Binding;

/// <summary>
/// Which job each binding token was first presented by, kept by the event store: a token is tied to the first
/// (family, job) that presents it, so a token captured from one job's delivery cannot bind another job's.
/// </summary>
internal interface IBindingNonceStore
{
    /// <summary>
    /// Ties <paramref name="nonce"/> to <paramref name="job"/> unless it is tied already; true when it is (now or before)
    /// tied to this job, false when another job presented it first. The tie is kept until <paramref name="expiresAt"/>
    /// (the token's own expiry), after which the token is refused anyway.
    /// </summary>
    Task<bool> TieAsync(string nonce, JobKey job, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Forgets ties whose token expired before <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteExpiredTiesAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
