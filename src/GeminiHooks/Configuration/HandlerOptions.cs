namespace GeminiHooks.Configuration;

/// <summary>One configured handler. Which settings apply depends on <see cref="Type"/>; the flow settings apply to all.</summary>
public sealed class HandlerOptions : HandlerFlowOptions
{
    public string Type { get; set; } = "";

    /// <summary>Exact event types or prefix patterns (<c>batch.*</c>, <c>*</c>); empty means all.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary><c>jsonl</c>: the file to append to.</summary>
    public string? Path { get; set; }

    /// <summary><c>http</c> and <c>slack</c>: where to POST.</summary>
    public string? Url { get; set; }

    /// <summary><c>http</c>: the Standard Webhooks secret the forwarded event is signed with.</summary>
    public string? Secret { get; set; }

    /// <summary><c>http</c> and <c>slack</c>: request timeout.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>http</c> and the broker types: <c>envelope</c> (the event JSON as received, the default) or <c>cloudevents</c>.</summary>
    public string? Format { get; set; }

    /// <summary>With <c>Format: cloudevents</c>: the CloudEvents <c>source</c>; default <c>/geminihooks/&lt;endpoint&gt;</c>.</summary>
    public string? Source { get; set; }

    // The settings below are read by the broker types (the GeminiHooks.Brokers package); they live here so they bind
    // from configuration like every other handler setting.

    /// <summary><c>redis</c>: a StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379,password=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>redis</c>: the stream key; <c>nats</c>: the JetStream stream, created when missing.</summary>
    public string? Stream { get; set; }

    /// <summary><c>redis</c>: approximate upper bound on the stream's length (<c>XADD MAXLEN ~</c>); unset means no trim.</summary>
    public long? MaxLength { get; set; }

    /// <summary><c>nats</c>: the subject; <c>&lt;type&gt;</c> is replaced by the event type.</summary>
    public string? Subject { get; set; }

    /// <summary><c>rabbitmq</c>: the AMQP URI, e.g. <c>amqp://user:password@127.0.0.1:5672/</c>.</summary>
    public string? Uri { get; set; }

    /// <summary><c>rabbitmq</c>: the topic exchange, declared when missing.</summary>
    public string? Exchange { get; set; }

    /// <summary><c>rabbitmq</c>: the routing key; <c>&lt;type&gt;</c> is replaced by the event type (the default is the type).</summary>
    public string? RoutingKey { get; set; }
}
