from . import mail_domain_check, mail_domain_check_problem, res_company, res_config_settings, res_users
