using System.Data;
using GeminiHooks.Binding;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Storage.Relational;

/// <summary>Binding tokens tied to the first job that presents them (see <see cref="IBindingNonceStore"/>).</summary>
public abstract partial class RelationalEventStore : IBindingNonceStore
{
    Task<bool> IBindingNonceStore.TieAsync(string nonce, JobKey job, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            // Insert-or-keep, then read the owner: a concurrent tie of the same nonce waits for the first to commit, and
            // the read (a statement of its own) sees whichever came first.
            await using (var tie = Command(connection, transaction, """
                INSERT INTO binding_nonces (nonce, family, job_id, expires_at) VALUES (@nonce, @family, @job, @expires)
                ON CONFLICT (nonce) DO NOTHING
                """))
            {
                Parameter(tie, "nonce", DbType.String, nonce);
                Parameter(tie, "family", DbType.String, job.Family);
                Parameter(tie, "job", DbType.String, StoredText.Representable(job.JobId));
                TimeParameter(tie, "expires", expiresAt);
                await tie.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var owner = Command(connection, transaction, "SELECT family, job_id FROM binding_nonces WHERE nonce = @nonce");
            Parameter(owner, "nonce", DbType.String, nonce);
            await using var reader = await owner.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                && reader.GetString(0) == job.Family && reader.GetString(1) == StoredText.Representable(job.JobId);
        }, cancellationToken);

    Task<int> IBindingNonceStore.DeleteExpiredTiesAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, "DELETE FROM binding_nonces WHERE expires_at < @before");
            TimeParameter(command, "before", before);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, singleStatement: true);
}
