using System.Text;
using System.Text.Json;
using GeminiHooks.Events;

namespace GeminiHooks.Tests.Events;

public class EventModelTests
{
    static readonly DeliveryInfo Delivery = new("static", "msg_1", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        DateTimeOffset.FromUnixTimeSeconds(1_700_000_001), 1, "test");

    public static TheoryData<string, Type> Fixtures => new()
    {
        { "batch.succeeded", typeof(BatchSucceeded) },
        { "batch.completed", typeof(BatchSucceeded) },
        { "batch.failed", typeof(BatchFailed) },
        { "batch.cancelled", typeof(BatchCancelled) },
        { "batch.expired", typeof(BatchExpired) },
        { "interaction.requires_action", typeof(InteractionRequiresAction) },
        { "interaction.completed", typeof(InteractionCompleted) },
        { "interaction.failed", typeof(InteractionFailed) },
        { "interaction.cancelled", typeof(InteractionCancelled) },
        { "video.generated", typeof(VideoGenerated) },
        { "model.tuned", typeof(UnknownEvent) },
    };

    static GeminiEvent ReadFixture(string type, string? variant = null) =>
        GeminiEventReader.Read(type, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", type + (variant is null ? "" : "." + variant) + ".json")), Delivery);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Every_fixture_reads_into_its_record(string type, Type record)
    {
        var e = ReadFixture(type);
        Assert.IsType(record, e);
        Assert.Equal(type, e.Type);
        Assert.Equal(record, GeminiEventTypes.RecordFor(type));
        Assert.Same(Delivery, e.Delivery);
        Assert.Equal(JsonValueKind.Object, e.Data.ValueKind);
    }

    [Fact]
    public void Fields_are_read_tolerantly()
    {
        var succeeded = Assert.IsType<BatchSucceeded>(ReadFixture("batch.succeeded"));
        Assert.Equal("batches/abc123", succeeded.Id);
        Assert.Equal("files/batch-abc123-output.jsonl", succeeded.OutputFileUri);
        Assert.Equal("v1", succeeded.Version);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 15, 0, TimeSpan.Zero), succeeded.Timestamp);
        Assert.Null(succeeded.UserMetadata);

        var completed = Assert.IsType<BatchSucceeded>(ReadFixture("batch.completed"));
        Assert.Equal("batch.completed", completed.Type);
        Assert.Equal("batches/old1", completed.Id);

        var failed = Assert.IsType<BatchFailed>(ReadFixture("batch.failed"));
        Assert.Equal("3", failed.ErrorCode); // a number in the body, text in the record
        Assert.Equal("Input file is malformed.", failed.ErrorMessage);

        // Interactions as the guide shows them: a bare id and nothing else.
        var action = Assert.IsType<InteractionRequiresAction>(ReadFixture("interaction.requires_action"));
        Assert.Equal("v1_ChdpbnQx", action.Id);
        Assert.Null(action.RequiredAction);
        Assert.Equal("T-42", action.UserMetadata!.Value.GetProperty("ticket").GetString()); // top level

        var interaction = Assert.IsType<InteractionCompleted>(ReadFixture("interaction.completed"));
        Assert.Equal("v1_ChdpbnQy", interaction.Id);
        Assert.Null(interaction.Output);
        Assert.Equal("inside-data", interaction.UserMetadata!.Value.GetProperty("source").GetString()); // inside data

        var interactionFailed = Assert.IsType<InteractionFailed>(ReadFixture("interaction.failed"));
        Assert.Equal("RESOURCE_EXHAUSTED", interactionFailed.ErrorCode);
        Assert.Equal("Quota exceeded.", interactionFailed.ErrorMessage);

        var unknown = Assert.IsType<UnknownEvent>(ReadFixture("model.tuned"));
        Assert.Null(unknown.Timestamp); // "not a date"
        Assert.Equal(0.93, unknown.Data.GetProperty("score").GetDouble());
    }

    [Fact]
    public void Video_generated_as_the_guide_shows_it_fills_the_older_properties_too()
    {
        var video = Assert.IsType<VideoGenerated>(ReadFixture("video.generated"));
        Assert.Equal("models/veo-3.0-generate-001/operations/op1", video.Id);
        Assert.Equal("https://generativelanguage.googleapis.com/v1beta/files/vid1:download?alt=media", video.OutputFileUri);
        Assert.Equal(video.OutputFileUri, video.VideoUri);
        Assert.Equal("files/vid1", video.FileName);
        Assert.Null(video.FileId);
    }

    [Fact]
    public void Video_generated_in_the_older_shape_the_cookbook_reads_fills_the_guides_properties_too()
    {
        var video = Assert.IsType<VideoGenerated>(ReadFixture("video.generated", "older"));
        Assert.Equal("vid1", video.Id); // file_id stands in for a missing id
        Assert.Equal("vid1", video.FileId);
        Assert.Equal("https://generativelanguage.googleapis.com/v1beta/files/vid1:download", video.VideoUri);
        Assert.Equal(video.VideoUri, video.OutputFileUri);
        Assert.Equal("files/vid1", video.FileName);
    }

    [Fact]
    public void Video_prefers_each_shapes_own_field_when_both_are_present()
    {
        var body = """{"type":"video.generated","data":{"id":"v1","file_id":"f1","video_uri":"gs://v.mp4","output_file_uri":"gs://o.mp4"}}""";
        var video = Assert.IsType<VideoGenerated>(GeminiEventReader.Read("video.generated", Encoding.UTF8.GetBytes(body), Delivery));
        Assert.Equal("v1", video.Id);
        Assert.Equal("gs://v.mp4", video.VideoUri);
        Assert.Equal("gs://o.mp4", video.OutputFileUri);
        Assert.Equal("f1", video.FileId);
        Assert.Null(video.FileName);
        Assert.Null(video.Version);
    }

    [Fact]
    public void Interaction_fields_named_only_by_a_third_party_article_are_kept_when_a_delivery_carries_them()
    {
        var action = Assert.IsType<InteractionRequiresAction>(GeminiEventReader.Read("interaction.requires_action",
            """{"type":"interaction.requires_action","data":{"id":"v1_a","required_action":{"type":"function_call"}}}"""u8.ToArray(), Delivery));
        Assert.Equal("function_call", action.RequiredAction!.Value.GetProperty("type").GetString());
        var completed = Assert.IsType<InteractionCompleted>(GeminiEventReader.Read("interaction.completed",
            """{"type":"interaction.completed","data":{"id":"v1_b","output":{"text":"Done."}}}"""u8.ToArray(), Delivery));
        Assert.Equal("Done.", completed.Output!.Value.GetProperty("text").GetString());
    }

    [Fact]
    public void Missing_or_odd_data_gives_nulls_not_failures()
    {
        var noData = GeminiEventReader.Read("batch.cancelled", """{"type":"batch.cancelled"}"""u8.ToArray(), Delivery);
        Assert.Null(Assert.IsType<BatchCancelled>(noData).Id);
        var arrayData = GeminiEventReader.Read("batch.expired", """{"type":"batch.expired","data":[1,2]}"""u8.ToArray(), Delivery);
        Assert.Null(Assert.IsType<BatchExpired>(arrayData).Id);
        var objectId = GeminiEventReader.Read("batch.expired", """{"data":{"id":{"name":"x"}}}"""u8.ToArray(), Delivery);
        Assert.Equal("""{"name":"x"}""", Assert.IsType<BatchExpired>(objectId).Id);
        Assert.Throws<JsonException>(() => GeminiEventReader.Read("batch.expired", "not json"u8.ToArray(), Delivery));
    }
}
