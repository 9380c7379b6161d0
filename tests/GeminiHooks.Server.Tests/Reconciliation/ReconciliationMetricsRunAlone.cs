namespace GeminiHooks.Server.Tests.Reconciliation;

/// <summary>
/// The reconciliation metrics are read by name process-wide, and every test class whose receivers see one job twice
/// (a conflict or a follower, which any class may now cause) would count in these scrapes: the classes that assert on
/// those counters run alone, not beside other classes.
/// </summary>
[CollectionDefinition(ReconciliationServerTests.Collection, DisableParallelization = true)]
public sealed class ReconciliationMetricsRunAlone;
