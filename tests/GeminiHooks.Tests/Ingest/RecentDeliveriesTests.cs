using GeminiHooks.Ingest;

namespace GeminiHooks.Tests.Ingest;

public sealed class RecentDeliveriesTests
{
    [Fact]
    public void Ids_are_kept_per_endpoint_and_the_oldest_leave_first_past_the_capacity()
    {
        var recent = new RecentDeliveries(capacity: 3);
        recent.Add("static", "msg_1");
        recent.Add("static", "msg_2");
        recent.Add("static", "msg_2");
        Assert.True(recent.Contains("static", "msg_1"));
        Assert.False(recent.Contains("dynamic", "msg_1"));
        Assert.Equal(2, recent.Count);

        recent.Add("dynamic", "msg_1");
        recent.Add("static", "msg_3");
        Assert.Equal(3, recent.Count);
        Assert.False(recent.Contains("static", "msg_1"));
        Assert.True(recent.Contains("static", "msg_2"));
        Assert.True(recent.Contains("dynamic", "msg_1"));
        Assert.True(recent.Contains("static", "msg_3"));
    }

    [Fact]
    public void Concurrent_adds_never_hold_more_than_the_capacity()
    {
        var recent = new RecentDeliveries(capacity: 1000);
        Parallel.For(0, 20_000, i => recent.Add("static", "msg_" + i));
        Assert.Equal(1000, recent.Count);
        Assert.Equal(1000, Enumerable.Range(0, 20_000).Count(i => recent.Contains("static", "msg_" + i)));
    }
}
