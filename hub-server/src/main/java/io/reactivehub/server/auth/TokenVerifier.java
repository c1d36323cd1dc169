package io.reactivehub.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.reactivehub.core.ChannelName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Verifies JWTs (nimbus-jose-jwt) with one configured key, and only with the algorithm that key is
 * for: HS256 for a shared secret, RS256 for an RSA public key, ES256 for an EC P-256 public key.
 * A token announcing any other algorithm ({@code none}, or HS256 against a public key: the
 * classic confusion attack) is refused before its signature is looked at. {@code exp} is required
 * and enforced, {@code nbf} enforced when present; with {@link #withIssuer} the {@code iss} claim
 * must be that issuer, with {@link #withAudience} the {@code aud} claim must include that audience.
 * Immutable, thread-safe.
 */
public final class TokenVerifier {
    /** Most channels the {@code channels} claim may name. */
    public static final int MAX_CHANNELS = 1000;

    private final JWSAlgorithm algorithm;
    private final JWSVerifier verifier;
    private final Clock clock;
    private final @Nullable String issuer;
    private final @Nullable String audience;

    private TokenVerifier(JWSAlgorithm algorithm, JWSVerifier verifier, Clock clock) {
        this(algorithm, verifier, clock, null, null);
    }

    private TokenVerifier(
            JWSAlgorithm algorithm,
            JWSVerifier verifier,
            Clock clock,
            @Nullable String issuer,
            @Nullable String audience) {
        this.algorithm = algorithm;
        this.verifier = verifier;
        this.clock = clock;
        this.issuer = issuer;
        this.audience = audience;
    }

    /** A verifier that also requires {@code iss} to be {@code issuer} (null or blank: any issuer, or none). */
    public TokenVerifier withIssuer(@Nullable String issuer) {
        return new TokenVerifier(algorithm, verifier, clock, blankToNull(issuer), audience);
    }

    /**
     * A verifier that also requires {@code aud} (a string or a list) to include {@code audience}
     * (null or blank: any audience, or none).
     */
    public TokenVerifier withAudience(@Nullable String audience) {
        return new TokenVerifier(algorithm, verifier, clock, issuer, blankToNull(audience));
    }

    /** The issuer tokens must name, or null. */
    public @Nullable String issuer() {
        return issuer;
    }

    /** The audience tokens must include, or null. */
    public @Nullable String audience() {
        return audience;
    }

    private static @Nullable String blankToNull(@Nullable String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** HS256 with a shared secret of at least 32 bytes (UTF-8). */
    public static TokenVerifier hmac(String secret) {
        try {
            return new TokenVerifier(
                    JWSAlgorithm.HS256, new MACVerifier(secret.getBytes(StandardCharsets.UTF_8)), Clock.systemUTC());
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the JWT secret must be at least 32 bytes long");
        }
    }

    /** RS256 or ES256, by the type of the PEM public key ({@code -----BEGIN PUBLIC KEY-----}). */
    public static TokenVerifier publicKey(Path pem) {
        PublicKey key = readPublicKey(pem);
        try {
            if (key instanceof RSAPublicKey rsa) {
                return new TokenVerifier(JWSAlgorithm.RS256, new RSASSAVerifier(rsa), Clock.systemUTC());
            }
            if (key instanceof ECPublicKey ec) {
                return new TokenVerifier(JWSAlgorithm.ES256, new ECDSAVerifier(ec), Clock.systemUTC());
            }
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable public key in " + pem + ": " + e.getMessage());
        }
        throw new IllegalArgumentException(pem + " holds neither an RSA nor an EC public key");
    }

    /** The algorithm tokens must announce. */
    public JWSAlgorithm algorithm() {
        return algorithm;
    }

    /**
     * @return who the token is for and what it allows
     * @throws InvalidTokenException why the token is refused (safe to show the client)
     */
    public Principal verify(String token) {
        Objects.requireNonNull(token, "token");
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed token");
        }
        if (!algorithm.equals(jwt.getHeader().getAlgorithm())) {
            throw new InvalidTokenException("token algorithm must be " + algorithm);
        }
        try {
            if (!jwt.verify(verifier)) {
                throw new InvalidTokenException("bad signature");
            }
        } catch (JOSEException e) {
            throw new InvalidTokenException("bad signature");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed claims");
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new InvalidTokenException("token has no expiry (exp)");
        }
        if (!now.isBefore(exp.toInstant())) {
            throw new InvalidTokenException("token expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.isBefore(nbf.toInstant())) {
            throw new InvalidTokenException("token not valid yet (nbf)");
        }
        if (issuer != null) {
            if (claims.getIssuer() == null) {
                throw new InvalidTokenException("token has no issuer (iss); this hub requires '" + issuer + "'");
            }
            if (!issuer.equals(claims.getIssuer())) {
                throw new InvalidTokenException("token issuer (iss) is not '" + issuer + "'");
            }
        }
        if (audience != null) {
            List<String> aud = claims.getAudience();
            if (aud == null || aud.isEmpty()) {
                throw new InvalidTokenException("token has no audience (aud); this hub requires '" + audience + "'");
            }
            if (!aud.contains(audience)) {
                throw new InvalidTokenException("token audience (aud) does not include '" + audience + "'");
            }
        }
        String subject = claims.getSubject() == null ? "" : claims.getSubject();
        return new Principal(
                subject,
                stringList(claims, "subs"),
                stringList(claims, "pubs"),
                exp.toInstant(),
                true,
                null,
                channels(claims));
    }

    private static List<String> stringList(JWTClaimsSet claims, String name) {
        try {
            List<String> list = claims.getStringListClaim(name);
            return list == null ? List.of() : list;
        } catch (ParseException e) {
            throw new InvalidTokenException("claim '" + name + "' must be a list of channel patterns");
        }
    }

    /** Claim {@code channels}: what the server subscribes the connection to at once. */
    private static List<ChannelName> channels(JWTClaimsSet claims) {
        List<String> names = stringList(claims, "channels");
        if (names.size() > MAX_CHANNELS) {
            throw new InvalidTokenException("claim 'channels' names more than " + MAX_CHANNELS + " channels");
        }
        for (String name : names) {
            if (!ChannelName.isValid(name)) {
                throw new InvalidTokenException("claim 'channels' holds an invalid channel name");
            }
        }
        return names.stream().map(ChannelName::of).toList();
    }

    private static PublicKey readPublicKey(Path pem) {
        try {
            String text = Files.readString(pem, StandardCharsets.US_ASCII);
            int begin = text.indexOf("-----BEGIN PUBLIC KEY-----");
            int end = text.indexOf("-----END PUBLIC KEY-----");
            if (begin < 0 || end < begin) {
                throw new IllegalArgumentException(pem + " is not a PEM public key (-----BEGIN PUBLIC KEY-----)");
            }
            byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 26, end));
            X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
            for (String type : new String[] {"RSA", "EC"}) {
                try {
                    return KeyFactory.getInstance(type).generatePublic(spec);
                } catch (GeneralSecurityException e) {
                    // try the next type
                }
            }
            throw new IllegalArgumentException(pem + " holds neither an RSA nor an EC public key");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + pem + ": " + e.getMessage());
        }
    }

    /** A refused token; the message says why, without echoing the token. */
    public static final class InvalidTokenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public InvalidTokenException(String message) {
            super(message, null, false, false);
        }
    }
}
