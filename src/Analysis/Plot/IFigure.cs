namespace Interp.Analysis.Plot;

/// <summary>
/// A figure drawn as one self-contained SVG: a standalone file (<see cref="Save"/>) or inline in an
/// <see cref="HtmlReport"/>, where its cells show their exact values under the mouse.
/// </summary>
public interface IFigure
{
    string Title { get; }

    string ToSvg();

    /// <summary>Writes the SVG file atomically.</summary>
    void Save(string path);
}
