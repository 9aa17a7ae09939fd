using PhiSharp.Generation;

namespace PhiSharp.Tests.Generation;

public class StopStringsTests
{
    [Fact]
    public void Text_before_a_stop_string_split_across_pieces_is_released_and_the_stop_is_not()
    {
        var stops = new StopStrings(["###"]);
        Assert.Equal("Hello ", stops.Push("Hello #"));
        Assert.Equal("", stops.Push("#"));
        Assert.Equal("", stops.Push("# world"));
        Assert.True(stops.Stopped);
        Assert.Equal("", stops.Flush());
    }

    [Fact]
    public void A_partial_match_that_diverges_is_released()
    {
        var stops = new StopStrings(["END"]);
        Assert.Equal("a", stops.Push("aEN"));
        Assert.Equal("ENd", stops.Push("d"));
        Assert.False(stops.Stopped);
        Assert.Equal("", stops.Flush());
    }

    [Fact]
    public void Held_back_text_is_flushed_when_generation_ends()
    {
        var stops = new StopStrings(["</answer>"]);
        Assert.Equal("x", stops.Push("x</ans"));
        Assert.Equal("</ans", stops.Flush());
    }

    [Fact]
    public void The_earliest_of_several_stop_strings_wins()
    {
        var stops = new StopStrings(["bb", "a"]);
        Assert.Equal("xx", stops.Push("xxabb"));
    }
}
