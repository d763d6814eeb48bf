package io.stunet.k8s;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.stunet.k8s.Manifests.at;
import static io.stunet.k8s.Manifests.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Deployments run the images the build produces: the CPU image named, versioned, user,
 * working directory and port as in the app module's Jib configuration, and the GPU image of
 * k8s/images/gpu/Dockerfile with the same user, working directory and port, and DJL pointed
 * at libtorch of the PyTorch version the project's DJL engine expects.
 */
class ImageConsistencyTest {
    private static Element jibConfiguration(Document pom) {
        NodeList plugins = pom.getElementsByTagName("plugin");
        for (int i = 0; i < plugins.getLength(); i++) {
            Element p = (Element) plugins.item(i);
            if (text(p, "artifactId").equals("jib-maven-plugin") && p.getElementsByTagName("configuration").getLength() > 0) {
                return (Element) p.getElementsByTagName("configuration").item(0);
            }
        }
        throw new AssertionError("app/pom.xml has no jib-maven-plugin configuration");
    }

    private static String text(Element e, String tag) {
        NodeList l = e.getElementsByTagName(tag);
        return l.getLength() == 0 ? "" : l.item(0).getTextContent().trim();
    }

    private static Document parse(Path p) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(p.toFile());
    }

    @Test
    void deploymentsRunTheImagesTheBuildMakes() throws Exception {
        Document appPom = parse(Manifests.root().resolve("app/pom.xml"));
        Document rootPom = parse(Manifests.root().resolve("pom.xml"));
        String version = text(rootPom.getDocumentElement(), "version");
        Element jib = jibConfiguration(appPom);
        String cpuImage = text((Element) jib.getElementsByTagName("to").item(0), "image").replace("${project.version}", version);
        String[] user = text(jib, "user").split(":");
        String workDir = text(jib, "workingDirectory");
        String port = text((Element) jib.getElementsByTagName("ports").item(0), "port");
        String gpuImage = "stunet/stunet-gpu:" + version;

        String dockerfile = Files.readString(Manifests.k8s().resolve("images/gpu/Dockerfile"));
        assertTrue(dockerfile.contains("USER " + user[0] + ":" + user[1]), "GPU image user differs from the CPU image's");
        assertTrue(dockerfile.contains("WORKDIR " + workDir));
        assertTrue(dockerfile.contains("EXPOSE " + port));
        assertTrue(dockerfile.contains("-t " + gpuImage), "the Dockerfile's build command tags another image");
        // DJL's PyTorch version is the parent pom's pytorch.native.version; the JNI flavour must exist in pytorch-jni.
        String torch = text((Element) rootPom.getElementsByTagName("properties").item(0), "pytorch.native.version");
        assertTrue(dockerfile.contains("PYTORCH_VERSION=" + torch), "libtorch version differs from DJL's " + torch);
        assertTrue(dockerfile.contains("libtorch-cxx11-abi-shared-with-deps-" + torch + "%2Bcu128.zip"));

        for (String overlay : Manifests.OVERLAYS) {
            List<Map<String, Object>> docs = Manifests.overlay(overlay);
            for (Map.Entry<String, Map<String, Object>> e : Manifests.stages(docs).entrySet()) {
                Map<String, Object> d = e.getValue();
                Map<String, Object> c = Manifests.serviceContainer(d);
                String id = overlay + ": " + name(d);
                boolean gpu = overlay.equals("gpu") && e.getKey().equals("infer");
                assertEquals(gpu ? gpuImage : cpuImage, c.get("image"), id);
                assertEquals(Integer.parseInt(user[0]), ((Number) at(d, "spec.template.spec.securityContext.runAsUser")).intValue(), id);
                assertEquals(Integer.parseInt(user[1]), ((Number) at(d, "spec.template.spec.securityContext.runAsGroup")).intValue(), id);
                assertEquals(workDir, c.get("workingDir"), id);
                assertEquals(Integer.parseInt(port), ((Number) Manifests.list(c, "ports").get(0).get("containerPort")).intValue(), id);
            }
        }
    }
}
