namespace GeminiHooks.Brokers.Tests;

/// <summary>
/// An unknown event type is stored and dispatched, so a delivery chooses part of the NATS subject or RabbitMQ routing
/// key: wildcards, spaces and empty tokens must not reach the broker as such.
/// </summary>
public class SubjectTokenTests
{
    [Theory]
    [InlineData("batch.succeeded", "geminihooks.batch.succeeded")]
    [InlineData("interaction.requires_action", "geminihooks.interaction.requires_action")]
    [InlineData("batch.>*", "geminihooks.batch.__")]
    [InlineData(">", "geminihooks._")]
    [InlineData("a b", "geminihooks.a_b")]
    [InlineData("batch.#", "geminihooks.batch._")]
    [InlineData("batch..x.", "geminihooks.batch._.x._")]
    [InlineData("", "geminihooks._")]
    [InlineData("Batch.Succeeded", "geminihooks.batch.succeeded")]
    [InlineData("évent\u001b[1m", "geminihooks._vent__1m")]
    public void Event_types_become_safe_subject_tokens(string type, string subject)
    {
        var expanded = BrokerPublish.Expand("geminihooks.<type>", type);
        Assert.Equal(subject, expanded);
        Assert.Matches("^[a-z0-9._-]+$", expanded);
        Assert.DoesNotContain("..", expanded, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_type_is_cut_so_the_routing_key_stays_under_rabbitmqs_limit()
    {
        var key = BrokerPublish.Expand("<type>", new string('a', 1000));
        Assert.Equal(BrokerPublish.MaxTypeLength, key.Length);
    }
}
