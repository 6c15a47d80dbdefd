package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// issuer names the platform in authenticator apps.
const issuer = "s3connections"

// cognito is the part of the Cognito user pools API the flow calls; none
// of these calls needs AWS credentials.
type cognito interface {
	InitiateAuth(context.Context, *cip.InitiateAuthInput, ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	RespondToAuthChallenge(context.Context, *cip.RespondToAuthChallengeInput, ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error)
	AssociateSoftwareToken(context.Context, *cip.AssociateSoftwareTokenInput, ...func(*cip.Options)) (*cip.AssociateSoftwareTokenOutput, error)
	VerifySoftwareToken(context.Context, *cip.VerifySoftwareTokenInput, ...func(*cip.Options)) (*cip.VerifySoftwareTokenOutput, error)
}

// challenge is where the sign-in stands: Cognito's next challenge and the
// session that answers it.
type challenge struct {
	name    types.ChallengeNameType
	session *string
	params  map[string]string
}

// maxSteps bounds the challenges of one sign-in (new password, MFA setup,
// MFA code and a spare), so a confused server cannot loop us.
const maxSteps = 6

// login signs user in with USER_PASSWORD_AUTH and answers the challenges
// until Cognito returns tokens.
func login(ctx context.Context, api cognito, clientID, user string, in prompter) (*types.AuthenticationResultType, error) {
	password, err := in.Secret("Password for " + user + ": ")
	if err != nil {
		return nil, err
	}
	out, err := api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId:       &clientID,
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password},
	})
	if err != nil {
		return nil, explain(err)
	}
	result, next := out.AuthenticationResult, challenge{out.ChallengeName, out.Session, out.ChallengeParameters}
	for step := 0; result == nil; step++ {
		if step == maxSteps {
			return nil, fmt.Errorf("still challenged (%s) after %d answers", next.name, step)
		}
		if result, next, err = answer(ctx, api, clientID, user, next, in); err != nil {
			return nil, err
		}
	}
	if result.IdToken == nil {
		return nil, errors.New("Cognito returned no ID token")
	}
	return result, nil
}

// answer answers one challenge; it returns the tokens or the next challenge.
func answer(ctx context.Context, api cognito, clientID, user string, c challenge, in prompter) (*types.AuthenticationResultType, challenge, error) {
	// Challenge responses name the user by user name, not by the email
	// alias they may have signed in with.
	if id := c.params["USER_ID_FOR_SRP"]; id != "" {
		user = id
	}
	responses := map[string]string{"USERNAME": user}
	switch c.name {
	case types.ChallengeNameTypeNewPasswordRequired:
		password, err := newPassword(in)
		if err != nil {
			return nil, c, err
		}
		responses["NEW_PASSWORD"] = password
	case types.ChallengeNameTypeMfaSetup:
		session, err := enrolTOTP(ctx, api, user, c.session, in)
		if err != nil {
			return nil, c, err
		}
		c.session = session
	case types.ChallengeNameTypeSoftwareTokenMfa:
		code, err := in.Line("6-digit code from your authenticator app: ")
		if err != nil {
			return nil, c, err
		}
		responses["SOFTWARE_TOKEN_MFA_CODE"] = code
	case types.ChallengeNameTypeSelectMfaType:
		responses["ANSWER"] = string(types.ChallengeNameTypeSoftwareTokenMfa) // the pool's only factor
	default:
		return nil, c, fmt.Errorf("Cognito asks for %q, which this command does not answer", c.name)
	}
	out, err := api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: &clientID, ChallengeName: c.name, Session: c.session, ChallengeResponses: responses,
	})
	if err != nil {
		return nil, c, explain(err)
	}
	return out.AuthenticationResult, challenge{out.ChallengeName, out.Session, out.ChallengeParameters}, nil
}

// newPassword asks for the password that replaces the temporary one.
func newPassword(in prompter) (string, error) {
	fmt.Fprintln(in, "Your password is temporary: choose a new one (12+ characters, upper and lower case, digits, symbols).")
	first, err := in.Secret("New password: ")
	if err != nil {
		return "", err
	}
	again, err := in.Secret("New password again: ")
	if err != nil {
		return "", err
	}
	if first != again {
		return "", errors.New("the two new passwords differ: run login again (the temporary password still works)")
	}
	return first, nil
}

// enrolTOTP registers an authenticator app for user: Cognito makes the
// secret, the user adds it to the app and proves it with a code. It
// returns the session that answers the MFA_SETUP challenge.
func enrolTOTP(ctx context.Context, api cognito, user string, session *string, in prompter) (*string, error) {
	assoc, err := api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: session})
	if err != nil {
		return nil, explain(err)
	}
	secret := aws.ToString(assoc.SecretCode)
	fmt.Fprintf(in, "MFA is required: add this account to an authenticator app (TOTP).\n"+
		"  secret: %s\n  or its URI (as a QR code, e.g. qrencode -t ansiutf8 '<uri>'):\n  %s\n", secret, otpauthURI(user, secret))
	code, err := in.Line("6-digit code the app now shows: ")
	if err != nil {
		return nil, err
	}
	verified, err := api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{
		Session: assoc.Session, UserCode: &code, FriendlyDeviceName: aws.String(issuer + " login"),
	})
	if err != nil {
		return nil, explain(err)
	}
	if verified.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		return nil, fmt.Errorf("the authenticator app was not verified (%s): run login again", verified.Status)
	}
	fmt.Fprintln(in, "Authenticator app enrolled: later sign-ins ask for its code.")
	return verified.Session, nil
}

// otpauthURI is the Key URI authenticator apps import
// (github.com/google/google-authenticator/wiki/Key-Uri-Format).
func otpauthURI(user, secret string) string {
	q := url.Values{"secret": {secret}, "issuer": {issuer}}
	return "otpauth://totp/" + url.PathEscape(issuer+":"+user) + "?" + q.Encode()
}

// explain adds what to do to Cognito's errors a person meets.
func explain(err error) error {
	var (
		mismatch *types.CodeMismatchException
		enable   *types.EnableSoftwareTokenMFAException
		notAuth  *types.NotAuthorizedException
		expired  *types.ExpiredCodeException
	)
	switch {
	case errors.As(err, &mismatch), errors.As(err, &enable), errors.As(err, &expired):
		return fmt.Errorf("wrong or expired code (check the device's clock): run login again: %w", err)
	case errors.As(err, &notAuth):
		return fmt.Errorf("not signed in (user name, password or an expired session): %w", err)
	}
	return err
}
