using System.Text.Json;
using System.Text.Json.Serialization;

namespace Interp.IO;

/// <summary>
/// How the program's results become JSON: indented, written through <see cref="AtomicFile"/>, and never holding NaN or
/// Infinity, which JSON does not have (Python's json would read them, most other readers refuse the file). A NaN or
/// infinite number is written as <c>null</c> — "no value", which every JSON reader takes — so a diverged metric or an
/// undefined ratio still gives a valid file. <see cref="Options"/> reads such a null back as NaN.
/// </summary>
public static class JsonFile
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Converters = { new FiniteOrNull(), new FiniteOrNullSingle() } };

    public static string Serialize(object value) => JsonSerializer.Serialize(value, value.GetType(), Options);

    public static void Write(string path, object value) => AtomicFile.WriteAllText(path, Serialize(value) + "\n");

    sealed class FiniteOrNull : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }

    sealed class FiniteOrNullSingle : JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? float.NaN : reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
