using GeminiHooks.Dispatch;
using GeminiHooks.Handlers;

namespace GeminiHooks.Tests.Dispatch;

public class UnitTests
{
    [Theory]
    [InlineData("*", true)]
    [InlineData("batch.*", true)]
    [InlineData("batch.succeeded", true)]
    [InlineData("interaction.requires_action", true)]
    [InlineData("", false)]
    [InlineData(" ", false)]
    [InlineData("ba*tch", false)]
    [InlineData("batch*", false)]
    [InlineData("*.succeeded", false)]
    [InlineData(".*", false)]
    [InlineData("batch.", false)]
    [InlineData("batch .*", false)]
    public void Patterns_are_validated(string pattern, bool valid) => Assert.Equal(valid, EventPattern.IsValid(pattern));

    [Theory]
    [InlineData("*", "anything.at_all", true)]
    [InlineData("batch.*", "batch.failed", true)]
    [InlineData("batch.*", "batchy.failed", false)]
    [InlineData("batch.*", "interaction.failed", false)]
    [InlineData("batch.succeeded", "batch.succeeded", true)]
    [InlineData("batch.succeeded", "batch.completed", true)]
    [InlineData("batch.succeeded", "batch.failed", false)]
    public void Patterns_match(string pattern, string type, bool matches) => Assert.Equal(matches, EventPattern.Matches(pattern, type));

    [Fact]
    public void Retry_delay_doubles_is_capped_and_jittered_within_twenty_percent()
    {
        var baseDelay = TimeSpan.FromSeconds(5);
        var max = TimeSpan.FromMinutes(1);
        Assert.Equal(TimeSpan.FromSeconds(5), RetryPolicy.Delay(1, baseDelay, max, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(10), RetryPolicy.Delay(2, baseDelay, max, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(40), RetryPolicy.Delay(4, baseDelay, max, 0.5));
        Assert.Equal(TimeSpan.FromMinutes(1), RetryPolicy.Delay(5, baseDelay, max, 0.5));
        Assert.Equal(TimeSpan.FromMinutes(1), RetryPolicy.Delay(1000, baseDelay, max, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(4), RetryPolicy.Delay(1, baseDelay, max, 0));
        Assert.True(RetryPolicy.Delay(1, baseDelay, max, 0.999999) <= TimeSpan.FromSeconds(6));
        Assert.True(RetryPolicy.Delay(int.MaxValue, TimeSpan.MaxValue, TimeSpan.MaxValue, 0.999) > TimeSpan.Zero);
    }
}
