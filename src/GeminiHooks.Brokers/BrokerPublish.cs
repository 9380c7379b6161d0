namespace GeminiHooks.Brokers;

static class BrokerPublish
{
    /// <summary>
    /// Runs one publish under the handler's <c>Timeout</c>, in wall-clock time: a broker that never answers is a
    /// failed run, retried with backoff, rather than a run that holds its lease until it expires.
    /// </summary>
    public static async Task WithTimeoutAsync(string broker, TimeSpan timeout, Func<CancellationToken, Task> publish,
        CancellationToken cancellationToken)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await publish(timeoutCts.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{broker} did not confirm the publish within {timeout}", e);
        }
    }

    /// <summary>Replaces <c>&lt;type&gt;</c> in a subject or routing key template.</summary>
    public static string Expand(string template, string eventType) =>
        template.Replace("<type>", eventType, StringComparison.Ordinal);
}
