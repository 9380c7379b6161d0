using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using GeminiHooks.Observability;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>The <c>GeminiHooks</c> activity source: one span per delivery, one per handler attempt, tied by webhook-id.</summary>
public class TracingTests
{
    [Fact]
    public async Task A_delivery_and_its_handler_runs_produce_spans_that_share_the_webhook_id()
    {
        const string id = "msg_traced_7f3a";
        var stopped = new ConcurrentQueue<Activity>();
        // Listeners are process-wide and other tests run alongside: keep only this test's spans.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GeminiHooksMetrics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("geminihooks.webhook_id"), id))
                    stopped.Enqueue(activity);
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:first:Type"] = "log",
            ["GeminiHooks:Handlers:second:Type"] = "log",
        });
        using var client = receiver.Start();
        using (var response = await client.SendAsync(receiver.SignedStatic(id, Receiver.Event())))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Eventually.UntilAsync(() => stopped.Count(a => a.OperationName == "geminihooks.handler") >= 2,
            "both handler spans have stopped", TimeSpan.FromSeconds(15));

        var delivery = Assert.Single(stopped, a => a.OperationName == "geminihooks.delivery");
        Assert.Equal("static", delivery.GetTagItem("geminihooks.endpoint"));
        Assert.Equal("batch.succeeded", delivery.GetTagItem("geminihooks.event_type"));
        Assert.Equal("accepted", delivery.GetTagItem("geminihooks.outcome"));
        Assert.Equal(200, delivery.GetTagItem("http.response.status_code"));

        var runs = stopped.Where(a => a.OperationName == "geminihooks.handler").ToList();
        Assert.Equal(["first", "second"], runs.Select(a => (string)a.GetTagItem("geminihooks.handler")!).Order());
        Assert.All(runs, run =>
        {
            Assert.Equal(1, run.GetTagItem("geminihooks.attempt"));
            Assert.Equal("succeeded", run.GetTagItem("geminihooks.outcome"));
            Assert.Equal(ActivityStatusCode.Unset, run.Status);
        });
    }
}
