namespace GeminiHooks.Storage;

/// <summary>
/// The lease a claim writes into a pair: the dispatcher's owner id plus a nonce of this claim. Outcomes are fenced on
/// it, so when a replay re-queues a running pair and the same dispatcher claims it again, the earlier run's late
/// outcome no longer matches the pair and changes nothing.
/// </summary>
public static class LeaseToken
{
    public static string New(string owner) => $"{owner}#{Guid.NewGuid():N}";
}
