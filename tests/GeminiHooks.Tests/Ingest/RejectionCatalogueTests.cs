using System.Reflection;
using GeminiHooks.Events;
using GeminiHooks.Ingest;

namespace GeminiHooks.Tests.Ingest;

/// <summary>
/// The catalogue of refusals keeps the service's promise (a 4xx, or a 503 that Gemini retries; never another 5xx), and
/// the outcome is what the answer and the metrics read.
/// </summary>
public sealed class RejectionCatalogueTests
{
    /// <summary>Every entry of the catalogue: its properties, and its factories called with sample arguments.</summary>
    static IEnumerable<Rejection> Catalogue()
    {
        foreach (var property in typeof(Rejection).GetProperties(BindingFlags.Public | BindingFlags.Static))
            yield return (Rejection)property.GetValue(null)!;
        foreach (var method in typeof(Rejection).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.ReturnType == typeof(Rejection)))
        {
            var parameters = method.GetParameters();
            if (parameters.Length == 1 && parameters[0].ParameterType == typeof(EnvelopeReader.Problem))
            {
                foreach (var problem in Enum.GetValues<EnvelopeReader.Problem>().Where(p => p != EnvelopeReader.Problem.None))
                    yield return (Rejection)method.Invoke(null, [problem])!;
                continue;
            }
            if (parameters.Length == 1 && parameters[0].ParameterType == typeof(GeminiHooks.Binding.BindingDecision))
            {
                yield return (Rejection)method.Invoke(null, [new GeminiHooks.Binding.BindingDecision(
                    GeminiHooks.Binding.BindingVerdict.Reject, "binding_reused", "A token binds one job only.")])!;
                yield return (Rejection)method.Invoke(null, [new GeminiHooks.Binding.BindingDecision(
                    GeminiHooks.Binding.BindingVerdict.Unavailable, "confirm_unavailable", "Retry later.")])!;
                continue;
            }
            var arguments = parameters.Select(p => p.ParameterType == typeof(int) ? 1024 : p.ParameterType == typeof(TimeSpan) ? (object)TimeSpan.FromMinutes(5)
                : p.Name == "reason" ? "binding_missing" : "geminihooks_token").ToArray();
            yield return (Rejection)method.Invoke(null, arguments)!;
        }
    }

    [Fact]
    public void Every_refusal_is_a_4xx_or_a_503_with_a_reason_code_and_a_sentence()
    {
        var entries = Catalogue().ToList();
        Assert.True(entries.Count >= 20, $"only {entries.Count} entries found");
        Assert.All(entries, r =>
        {
            Assert.True(r.Status is >= 400 and < 500 or 503, $"{r.Reason}: {r.Status}");
            Assert.Matches("^[a-z0-9_]+$", r.Reason);
            Assert.Matches(@"^[A-Zaw].*\.( \([a-z0-9_]+\))?$", r.Detail);
            Assert.Equal(r.Status == 503 ? DeliveryOutcome.Unavailable : DeliveryOutcome.Rejected, r.Outcome);
        });
    }

    [Theory]
    [InlineData("Accepted", 200, "accepted")]
    [InlineData("Duplicate", 200, "duplicate")]
    [InlineData("Superseded", 200, "duplicate")]
    [InlineData("Conflict", 200, "duplicate")]
    [InlineData("Quarantined", 200, "quarantined")]
    [InlineData("Aborted", 0, "aborted")]
    public void A_result_answers_and_is_labelled_from_its_outcome(string name, int status, string label)
    {
        var outcome = Enum.Parse<DeliveryOutcome>(name);
        var result = outcome == DeliveryOutcome.Aborted ? IngestResult.Aborted("msg_1") : new IngestResult(outcome, null, "msg_1");
        Assert.Equal(status, result.Status);
        Assert.Equal(label, outcome.Label());
        Assert.Equal(status == 200, outcome.IsStored());
    }

    [Fact]
    public void A_refused_result_carries_its_status_and_reason_and_a_503_is_unavailable()
    {
        var refused = IngestResult.Refused(Rejection.TimestampOutsideTolerance(TimeSpan.FromMinutes(5)), "msg_1");
        Assert.Equal((401, "timestamp_outside_tolerance", "rejected"), (refused.Status, refused.Reason, refused.Outcome.Label()));
        var unavailable = IngestResult.Refused(Rejection.StoreUnavailable, "msg_1");
        Assert.Equal((503, "store_unavailable", "unavailable"), (unavailable.Status, unavailable.Reason, unavailable.Outcome.Label()));
    }
}
