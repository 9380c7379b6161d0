using GeminiHooks.Observability;
using GeminiHooks.Storage;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Tests.Observability;

/// <summary>The in-memory ring behind the /admin chart: one bucket per minute, the last hour only.</summary>
public class RecentTimelineTests
{
    [Fact]
    public void Counts_land_in_their_minute_and_fall_out_of_the_hour_an_hour_later()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 30, TimeSpan.Zero));
        var timeline = new RecentTimeline(time);
        timeline.Delivery("accepted");
        timeline.Delivery("accepted");
        timeline.HandlerRun("retried");
        timeline.Backlog(new BacklogCounts(Pending: 3, Running: 0, Succeeded: 1, Dead: 0));
        time.Advance(TimeSpan.FromMinutes(1));
        timeline.Delivery("duplicate");
        timeline.HandlerRun("dead_lettered");

        var minutes = timeline.Snapshot();
        Assert.Equal(RecentTimeline.Minutes, minutes.Count);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 1, 0, TimeSpan.Zero), minutes[^1].Start);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 9, 2, 0, TimeSpan.Zero), minutes[0].Start);
        Assert.Equal(2, minutes[^2].Deliveries["accepted"]);
        Assert.Equal(1, minutes[^2].HandlerRuns["retried"]);
        Assert.Equal(3, minutes[^2].Backlog!.Pending);
        Assert.Equal(1, minutes[^1].Deliveries["duplicate"]);
        Assert.Null(minutes[^1].Backlog);
        Assert.All(minutes.SkipLast(2), m => Assert.Empty(m.Deliveries));

        // 59 minutes on, the 10:00 minute is the oldest shown; one more and it is gone, and its slot is reused clean.
        time.Advance(TimeSpan.FromMinutes(58));
        Assert.Equal(2, timeline.Snapshot()[0].Deliveries["accepted"]);
        time.Advance(TimeSpan.FromMinutes(1));
        timeline.Delivery("rejected");
        minutes = timeline.Snapshot();
        Assert.DoesNotContain(minutes, m => m.Deliveries.ContainsKey("accepted"));
        Assert.Equal(1, minutes[0].Deliveries["duplicate"]);
        Assert.Equal(new Dictionary<string, long> { ["rejected"] = 1 }, minutes[^1].Deliveries);
        Assert.Null(minutes[^1].Backlog);

        // After a silent hour, nothing is left.
        time.Advance(TimeSpan.FromHours(2));
        Assert.All(timeline.Snapshot(), m => Assert.True(m.Deliveries.Count == 0 && m.HandlerRuns.Count == 0 && m.Backlog is null));
    }
}
