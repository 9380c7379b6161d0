using GeminiHooks.Admin;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Tests.Admin;

/// <summary>The throttle is per client, and its table stays bounded however many addresses fail.</summary>
public class AdminFailureThrottleTests
{
    [Fact]
    public void One_clients_failures_do_not_throttle_another()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var throttle = new AdminFailureThrottle(time);
        for (var i = 0; i < AdminFailureThrottle.Burst; i++)
        {
            Assert.Null(throttle.RetryAfter("198.51.100.1"));
            throttle.RecordFailure("198.51.100.1");
        }
        Assert.Equal(AdminFailureThrottle.Window, throttle.RetryAfter("198.51.100.1"));
        Assert.Null(throttle.RetryAfter("198.51.100.2"));

        time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(TimeSpan.FromSeconds(15), throttle.RetryAfter("198.51.100.1"));
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Null(throttle.RetryAfter("198.51.100.1"));
    }

    [Fact]
    public void When_the_table_is_full_new_clients_share_one_window_and_expired_entries_make_room()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var throttle = new AdminFailureThrottle(time);
        for (var i = 0; i < 10_000; i++)
            throttle.RecordFailure("client-" + i);
        for (var i = 0; i < AdminFailureThrottle.Burst; i++)
            throttle.RecordFailure("newcomer-" + i); // all counted in the shared overflow window
        Assert.NotNull(throttle.RetryAfter("newcomer-0"));
        Assert.NotNull(throttle.RetryAfter("someone-else"));
        Assert.Null(throttle.RetryAfter("client-1")); // one failure each: not throttled

        // After the window, a failure prunes the expired entries and the newcomer gets its own window again.
        time.Advance(AdminFailureThrottle.Window);
        throttle.RecordFailure("newcomer-0");
        Assert.Null(throttle.RetryAfter("newcomer-0"));
        Assert.Null(throttle.RetryAfter("someone-else"));
    }
}
