using GeminiHooks.Configuration;
using GeminiHooks.Dispatch;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Tests.Dispatch;

/// <summary>The token bucket on the fake clock: refill, burst, the wait for the next token, and what counts as waiting.</summary>
public class HandlerRateLimiterTests
{
    static HandlerDescriptor Handler(double perSecond, int burst) => new("paced", "code",
        HandlerFlow.Resolve(new HandlerFlowOptions { RateLimit = { PerSecond = perSecond, Burst = burst } }, new DispatchOptions()),
        _ => true, _ => true, (_, _, _) => Task.CompletedTask);

    [Fact]
    public void A_bucket_starts_full_refills_at_the_rate_and_never_holds_more_than_its_burst()
    {
        var time = new FakeTimeProvider();
        var limiter = new HandlerRateLimiter(time);
        var handler = Handler(perSecond: 2, burst: 3);

        Assert.Equal(3, limiter.Available(handler));
        Assert.True(limiter.TryTake(handler) && limiter.TryTake(handler) && limiter.TryTake(handler));
        Assert.False(limiter.TryTake(handler));
        Assert.Equal(TimeSpan.FromMilliseconds(500), limiter.UntilNextToken([handler]));

        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(limiter.TryTake(handler));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryTake(handler));

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(3, limiter.Available(handler));
    }

    [Fact]
    public void A_handler_without_a_limit_is_never_held_back()
    {
        var limiter = new HandlerRateLimiter(new FakeTimeProvider());
        var free = new HandlerDescriptor("free", "code", HandlerFlow.Resolve(null, new DispatchOptions()), _ => true, _ => true,
            (_, _, _) => Task.CompletedTask);
        Assert.Equal(int.MaxValue, limiter.Available(free));
        Assert.True(limiter.TryTake(free));
        Assert.Null(limiter.UntilNextToken([free]));
        Assert.False(limiter.WaitedForToken(free));
    }

    [Fact]
    public void A_claim_as_the_empty_bucket_refills_counts_as_waiting_and_one_long_after_does_not()
    {
        var time = new FakeTimeProvider();
        var limiter = new HandlerRateLimiter(time);
        var handler = Handler(perSecond: 5, burst: 1);

        // A full bucket from the start: nothing waited.
        Assert.False(limiter.WaitedForToken(handler));
        Assert.True(limiter.TryTake(handler));

        // The dispatcher wakes as the token comes back (a backlog): that claim waited, once.
        time.Advance(TimeSpan.FromMilliseconds(201));
        Assert.Equal(1, limiter.Available(handler));
        Assert.True(limiter.WaitedForToken(handler));
        Assert.False(limiter.WaitedForToken(handler));
        Assert.True(limiter.TryTake(handler));

        // An event that arrives a second after the bucket refilled did not wait for it.
        time.Advance(TimeSpan.FromSeconds(1.2));
        Assert.Equal(1, limiter.Available(handler));
        Assert.False(limiter.WaitedForToken(handler));
    }
}
