// Makes a "scanned letter" for the OCR smoke test of scripts/services.sh check: the given lines are
// rendered to pixels (no text layer), written as a PNG and as an image-only PDF (PDFBox, taken from
// the tika-server-standard jar on the classpath). Run with Java's single-file launcher:
//   java -cp tika-server-standard.jar MakeScan.java out.png out.pdf "line 1" "line 2" ...
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import javax.imageio.ImageIO;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;

public class MakeScan {
    public static void main(String[] args) throws Exception {
        int dpi = 300;
        int width = (int) (8.27 * dpi); // A4 width
        int lineHeight = 90;
        int height = 200 + lineHeight * Math.max(1, args.length - 2);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SERIF, Font.PLAIN, 56));
        for (int i = 2; i < args.length; i++) {
            g.drawString(args[i], 150, 150 + (i - 2) * lineHeight);
        }
        g.dispose();
        ImageIO.write(img, "png", new File(args[0]));

        try (PDDocument doc = new PDDocument()) {
            float w = width * 72f / dpi;
            float h = height * 72f / dpi;
            PDPage page = new PDPage(new PDRectangle(w, h));
            doc.addPage(page);
            PDImageXObject image = LosslessFactory.createFromImage(doc, img);
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                cs.drawImage(image, 0, 0, w, h);
            }
            doc.save(new File(args[1]));
        }
    }
}
